"""Learners: one module per capability over the shared statistics in ``stats``."""
