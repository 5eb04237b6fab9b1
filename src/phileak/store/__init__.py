"""The findings store: scans, per-target outcomes, findings and evidence in SQLite (default ./phileak.db)
or PostgreSQL, with the identity key kept beside it."""

from phileak.store.diff import ScanDiff
from phileak.store.store import Store

__all__ = ["ScanDiff", "Store"]
