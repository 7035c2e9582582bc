"""The one place the app opens, configures and migrates its SQLite database."""

import contextlib
import fcntl
import json
import os
import sqlite3
import threading

import sqlite_utils
from flask import current_app, g
from sqlite_utils.utils import dedupe_keys

from .migrations import MIGRATIONS


class Database(sqlite_utils.Database):
    """sqlite-utils' Database, with plain SELECTs run without its guard savepoint.

    query() wraps every statement in SAVEPOINT/RELEASE so that a statement returning no rows can
    be undone; a SELECT always returns rows and changes nothing, so for it that is two wasted
    statements per query (a page makes dozens). `identity` names the file, for caches of frozen rows.
    """

    identity = None
    writers_queue = None  # the flock file writers queue on (writers_queue()), set by connect()
    audit_spool = None  # the directory read audit entries wait in (audit_spool.py), set by connect()
    _names = None  # (schema version, table names, view names)

    def query(self, sql, params=None):
        if sql.lstrip()[:6].upper() != "SELECT":
            return super().query(sql, params)
        cursor = self.conn.execute(sql, params if params is not None else ())
        keys = dedupe_keys(column[0] for column in cursor.description)
        return (dict(zip(keys, row, strict=True)) for row in cursor)

    # sqlite-utils asks for every table's and view's name before each insert or update (db["t"],
    # .exists()): a dozen scans of sqlite_master in a review's write transaction. The names change only
    # with the schema, whose version number SQLite keeps in the file header (any connection's change).
    def table_names(self, fts4=False, fts5=False):
        if fts4 or fts5:
            return super().table_names(fts4=fts4, fts5=fts5)
        return list(self._schema_names()[1])

    def view_names(self):
        return list(self._schema_names()[2])

    def _schema_names(self):
        version = self.conn.execute("PRAGMA schema_version").fetchone()[0]
        if self._names is None or self._names[0] != version:
            rows = self.conn.execute(
                "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view')"
            ).fetchall()
            self._names = (
                version,
                [name for kind, name in rows if kind == "table"],
                [name for kind, name in rows if kind == "view"],
            )
        return self._names


def connect(path):
    """Open `path` as a sqlite-utils Database with the project's pragmas."""
    _create_private(path)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    db = Database(conn)
    # WAL lets the tablets' syncs write while managers read; foreign keys are off by default.
    db.conn.execute("PRAGMA journal_mode = WAL")
    db.conn.execute("PRAGMA foreign_keys = ON")
    db.conn.execute("PRAGMA busy_timeout = 30000")
    db.conn.execute("PRAGMA synchronous = NORMAL")
    # The scorecard reads a region's readings at random; mapped pages and a 64 MB cache spare
    # a system call and a copy per page (bench/scorecard.py).
    db.conn.execute("PRAGMA mmap_size = 1073741824")
    db.conn.execute("PRAGMA cache_size = -65536")
    db.identity = _file_identity(path)
    # Files beside the database: the lock writers queue on (writers_queue()) and the directory
    # read audit entries wait in (audit_spool.py).
    db.writers_queue = _beside(path, "-writers")
    db.audit_spool = _beside(path, "-audit-spool")
    return db


def _create_private(path):
    """Create a missing database file readable by its owner only (children's records).

    SQLite gives the -wal and -shm files the database file's permissions, so they are private too.
    """
    if _in_memory(path):
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


def _file_identity(path):
    """(path, inode): tells one database file from another at the same path (tests make many)."""
    try:
        return (str(path), os.stat(path).st_ino)
    except OSError:
        return None


# One open connection per thread, reused across requests: opening one and setting its pragmas costs
# 0.6-0.8 ms, a tenth of a page. gunicorn's sync workers are single-threaded, so a worker keeps one;
# a threaded server keeps one per live thread. sqlite3 objects must not be shared between threads.
_per_thread = threading.local()


def get_db():
    """The app's database on this thread's kept connection, opened on first use."""
    if "db" not in g:
        g.db = _thread_connection(current_app.config["DATABASE"])
    return g.db


def _thread_connection(path):
    """This thread's connection to `path`; a new one when the path or the file behind it changed
    (tests make a database per test; a replaced file must not be read through a stale handle)."""
    kept = getattr(_per_thread, "db", None)
    if kept is not None and kept.identity is not None and kept.identity == _file_identity(path):
        return kept
    if kept is not None:
        kept.close()
    _per_thread.db = connect(path)
    return _per_thread.db


def close_db(exc=None):
    """End of request: the connection stays open for the thread's next request, with no transaction
    left open (an open read would pin an old WAL snapshot and stop checkpoints)."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


def _in_memory(path):
    """A memory database, or a URI: no plain path to create, or to put files beside."""
    return str(path) == ":memory:" or str(path).startswith("file:")


def _beside(path, suffix):
    """The path of a file beside the database (none for a memory database)."""
    return None if _in_memory(path) else str(path) + suffix


@contextlib.contextmanager
def writers_queue(db, wait=True):
    """Wait for the write lock in the kernel's queue, not in SQLite's busy handler.

    SQLite's busy handler polls: a writer that finds the lock taken sleeps 1, 2, 5, 10 ms... before
    trying again, so a page's audit entry behind a review's 4 ms transaction waited 3 ms or more on
    average, asleep while requests queued. Writers (this app's, in any process) first take an
    exclusive flock on a file beside the database: the kernel wakes the next one the moment the last
    lets go, and SQLite's own lock is then free. Anything else writing (the sqlite3 shell, another
    program) still meets SQLite's lock and its busy timeout, as before.

    The file is opened for each write (closing it lets go), so no descriptor outlives the write.
    With wait=False, BlockingIOError at once if another writer is in.
    """
    path = getattr(db, "writers_queue", None)
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def read_snapshot(db):
    """Reads that must agree with one another: one deferred transaction, so every SELECT in it sees
    the database as it was at the first, whatever other connections commit meanwhile. Ended
    (nothing was written) on the way out; inside a transaction already, that one's view is used."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN")
    try:
        yield db
    finally:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")


@contextlib.contextmanager
def write_transaction(db, wait=True):
    """A transaction that takes the write lock at once (BEGIN IMMEDIATE): every write uses it.

    A deferred BEGIN that reads before it writes fails at once with "database is
    locked" when another connection commits in between (WAL gives no busy wait for
    that upgrade); taking the lock first makes it wait its turn instead.

    Check-then-insert code (a review's UUID) runs inside it so two concurrent
    requests are serialised instead of both seeing "not there yet".
    Nested use falls back to a savepoint. With wait=False, BlockingIOError at once if another
    writer of the app's is in.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    with writers_queue(db, wait=wait):
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
            # A COMMIT that fails (a deferred foreign key, SQLITE_BUSY) leaves the transaction
            # open, so it is rolled back like an error in the block.
            db.conn.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise


def schema_version(db):
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db):
    """Apply every migration newer than the database's user_version, each in its own transaction."""
    for number, sql in enumerate(MIGRATIONS, start=1):
        with write_transaction(db):
            # Checked under the write lock: two workers starting at once apply each migration once.
            if schema_version(db) >= number:
                continue
            for statement in _statements(sql):
                db.conn.execute(statement)
            db.conn.execute(f"PRAGMA user_version = {number}")
    return schema_version(db)


def _statements(sql):
    """Split a migration into statements (executescript would commit our transaction)."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


def init_app(app):
    app.teardown_appcontext(close_db)


def id_list(ids):
    """Many ids as one parameter, read in SQL as `IN (SELECT value FROM json_each(?))`: a batch read
    is one statement however many children it covers, never near SQLite's limit on parameters."""
    return json.dumps([int(each) for each in ids])
