"""Backups of the database while the app serves, and restoring one. No Flask imports.

Both use SQLite's online backup API, which copies a consistent snapshot page by page while
other connections keep reading and writing (a plain file copy of a WAL database can be torn).
"""

import os
import sqlite3

from . import audit_spool
from .db import connect, migrate
from .migrations import MIGRATIONS

# Tables every database of ours has had since the first migration.
REQUIRED_TABLES = {"children", "reviews", "readings", "users", "services", "audit_log"}


class BackupError(Exception):
    """A backup or restore refused, with a message for the person running it."""


def backup(database_path, destination):
    """Write a consistent copy of the database to `destination` (a new file, mode 0600)."""
    if os.path.exists(destination):
        raise BackupError(f"{destination} already exists; choose a new file name.")
    os.close(os.open(destination, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    db = connect(database_path)
    try:
        audit_spool.import_all(db)  # read entries still waiting in spool files go in the copy
    finally:
        db.close()
    source = sqlite3.connect(database_path, timeout=30)
    target = sqlite3.connect(destination)
    try:
        # A few hundred pages per step, so writers are held up for milliseconds, not the whole copy.
        source.backup(target, pages=256)
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
        source.close()
    check(destination)


def check(path):
    """Raise BackupError unless `path` is an intact database of this app; returns its schema version."""
    if not os.path.isfile(path):
        raise BackupError(f"{path} is not a file.")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite database ({error}).") from None
    if result != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result}")
    if not REQUIRED_TABLES <= tables or not 1 <= version <= len(MIGRATIONS):
        raise BackupError(f"{path} is not a database of this app (or is from a newer version of it).")
    return version


def restore(source_path, database_path):
    """Replace the database's content with the backup at `source_path`, then apply newer migrations.

    The copy goes through the backup API into the live file, so a running app's connections
    see the restored data on their next transaction instead of a file swapped under them.
    """
    check(source_path)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    target = connect(database_path)
    try:
        source.backup(target.conn)
        result = target.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"The restored database fails SQLite's integrity check: {result}")
        return migrate(target)
    finally:
        target.close()
        source.close()
