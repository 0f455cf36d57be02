"""Runtime: ingest with a durable outbox, per-user snapshot caches, the background refitter."""
