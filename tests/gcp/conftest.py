"""Session fixtures: the Spanner and BigQuery emulators, each started once per test session."""
