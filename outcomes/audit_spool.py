"""Read audit entries on their way into the audit trail. No Flask imports.

A page view's entry was an INSERT of its own, a write transaction for every page. Under a service's
load those writes, and what follows them (each commit makes every other connection drop its page
cache; readers queue for the lock), cost the workers about a third of their time: bench/load.py
served 400 requests/s with read entries dropped, 281 with them. So a read's entries are appended,
before its page leaves, to a file this process alone writes, beside the database; the files are
copied into audit_log in batches (about once a second per worker), and at once by anything that
reads the trail.

A write() that returned is in the kernel's page cache: a process killed after it loses nothing,
like a commit in WAL mode with synchronous = NORMAL. How far each file has been copied is kept in
the table audit_spool, in the same transaction as the rows, so a crash at any point neither loses
nor repeats an entry. A process holds a shared flock on its own file for as long as it writes
there; a file whose lock is free and whose entries are all copied belongs to a process that has
gone, and is removed.
"""

import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
from datetime import datetime, timezone

from .db import write_transaction

SUFFIX = ".log"
ROTATE_BYTES = 1 << 20  # a file once copied in full and this long is replaced by a new one
KEPT_OPEN = 4  # spools (databases) a process keeps a file open for; tests open many databases

log = logging.getLogger(__name__)
_spools = {}  # (pid, directory) -> _Spool
_spools_lock = threading.Lock()


def now():
    """An entry's time, in the form audit_log's default gives (UTC, milliseconds)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def append(db, user_id, action, child_ids, detail=""):
    """Append one entry per child in `child_ids`, stamped now, as one line; False if the database
    has no spool (the caller then writes them itself)."""
    spool = _spool_for(db)
    if spool is None:
        return False
    line = json.dumps([now(), user_id, action, detail, child_ids], ensure_ascii=False, separators=(",", ":"))
    spool.write(line + "\n", len(child_ids))
    return True


def due(db, seconds, entries):
    """True when this process's spooled entries should be copied now: the oldest has waited
    `seconds`, or `entries` are waiting."""
    spool = _own(getattr(db, "audit_spool", None))
    return spool is not None and spool.due(seconds, entries)


def import_all(db, wait=True):
    """Copy every spooled entry (every process's) into audit_log, in one transaction.

    With wait=False, BlockingIOError at once if another writer is in. Inside a transaction already
    nothing is done: the caller's reads see what was copied before it began."""
    folder = getattr(db, "audit_spool", None)
    if folder is None or db.conn.in_transaction or not os.path.isdir(folder):
        return 0
    names = sorted(name for name in os.listdir(folder) if name.endswith(SUFFIX))
    if not _waiting(db, folder, names):
        return 0  # no write lock taken (the audit page asks twice: its count, its entries)
    own = _own(folder)
    with write_transaction(db, wait=wait):
        done = _copied_to(db)
        for gone in done.keys() - set(names):  # files removed after they were copied in full
            db.conn.execute("DELETE FROM audit_spool WHERE file = ?", [gone])
        copied = sum(_copy(db, os.path.join(folder, name), name, done.get(name, 0)) for name in names)
    if own is not None:
        own.imported()
    for name in names:  # every whole line copied: a file left by a process that has gone can go
        if own is None or name != own.name:
            _remove_if_abandoned(db, os.path.join(folder, name), name)
    return copied


def _waiting(db, folder, names):
    """Whether a file holds more than has been copied, or one copied in full has gone (its row)."""
    done = _copied_to(db)
    for name in names:
        try:
            if os.path.getsize(os.path.join(folder, name)) > done.get(name, 0):
                return True
        except FileNotFoundError:
            return True
    return not done.keys() <= set(names)


def _copied_to(db):
    """{file name: how far it has been copied}, for every file copied from."""
    return dict(db.conn.execute("SELECT file, imported_to FROM audit_spool"))


def _copy(db, path, name, start):
    """Copy the whole lines of one file from `start`; the number of entries copied."""
    try:
        with open(path, "rb") as file:
            file.seek(start)
            data = file.read()
    except FileNotFoundError:
        return 0
    end = data.rfind(b"\n") + 1
    rows = []
    for line in data[:end].splitlines():
        entry = _parsed(line)
        if entry is None:
            log.error("audit spool %s: an unreadable line skipped: %r", name, line[:200])
            continue
        at, user_id, action, detail, child_ids = entry
        rows.extend((at, user_id, action, child_id, detail) for child_id in child_ids)
    copied = _insert(db, rows, name)
    if end:
        db.conn.execute(
            "INSERT INTO audit_spool (file, imported_to) VALUES (?, ?)"
            " ON CONFLICT (file) DO UPDATE SET imported_to = excluded.imported_to",
            [name, start + end],
        )
    return copied


def _parsed(line):
    """[at, user_id, action, detail, child_ids] from a spool line, or None if it is not one."""
    try:
        at, user_id, action, detail, child_ids = json.loads(line)
    except (ValueError, TypeError):
        return None
    ids_ok = isinstance(child_ids, list) and all(i is None or type(i) is int for i in child_ids)
    if not (type(at) is str and (user_id is None or type(user_id) is int) and type(action) is str):
        return None
    return (at, user_id, action, detail, child_ids) if ids_ok and type(detail) is str else None


def _insert(db, rows, name):
    """Insert the rows together; should one be refused (a restored backup without its person or
    child), each on its own, the refused ones logged and left out rather than stop every copy."""
    sql = "INSERT INTO audit_log (at, user_id, action, child_id, detail) VALUES (?, ?, ?, ?, ?)"
    try:
        with db.atomic():  # a savepoint: all the rows or none
            db.conn.executemany(sql, rows)
        return len(rows)
    except sqlite3.IntegrityError:
        copied = 0
        for row in rows:
            try:
                db.conn.execute(sql, row)
                copied += 1
            except sqlite3.IntegrityError as refused:
                log.error("audit spool %s: an entry refused (%s) and left out: %r", name, refused, row)
        return copied


def _remove_if_abandoned(db, path, name):
    """Remove a file whose process has gone (its shared lock is free) once every entry in it is
    copied: checked again under its lock, as the process may have added one before it went.

    Its row in audit_spool goes at the next import, so a crash between the two repeats nothing."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        row = db.conn.execute("SELECT imported_to FROM audit_spool WHERE file = ?", [name]).fetchone()
        os.lseek(fd, row[0] if row else 0, os.SEEK_SET)
        # What is left can only be a line its process was killed in the middle of writing.
        if b"\n" not in os.read(fd, os.fstat(fd).st_size):
            os.unlink(path)
    except BlockingIOError:
        pass  # its process still writes there
    finally:
        os.close(fd)


def _own(folder):
    """This process's spool in `folder`, if it has written there: a forked worker has its own."""
    return _spools.get((os.getpid(), folder))


def _spool_for(db):
    folder = getattr(db, "audit_spool", None)
    if folder is None:
        return None
    key = (os.getpid(), folder)
    spool = _spools.get(key)
    if spool is None:
        with _spools_lock:
            spool = _spools.get(key)
            if spool is None:
                for old in [k for k in _spools if k[0] != key[0]]:  # inherited from a parent process
                    _spools.pop(old)._close()  # (its lock may have been held when the parent forked)
                while len(_spools) >= KEPT_OPEN:
                    _spools.pop(next(iter(_spools))).close()
                spool = _spools[key] = _Spool(folder)
    return spool


class _Spool:
    """This process's file in one spool directory."""

    def __init__(self, folder):
        self.folder = folder
        self.lock = threading.Lock()
        self.fd = self.name = None
        self.waiting = 0  # entries appended since the last import
        self.oldest = None  # monotonic time of the oldest of them

    def write(self, text, count):
        data = text.encode()
        with self.lock:
            if self.fd is None:
                self._open()
            written = 0
            while written < len(data):
                written += os.write(self.fd, data[written:])
            self.waiting += count
            if self.oldest is None:
                self.oldest = time.monotonic()

    def due(self, seconds, entries):
        oldest = self.oldest
        return oldest is not None and (self.waiting >= entries or time.monotonic() - oldest >= seconds)

    def imported(self):
        """After an import that took in this file's every entry (under the write lock): start a
        new file when this one has grown long."""
        with self.lock:
            self.waiting, self.oldest = 0, None
            if self.fd is not None and os.fstat(self.fd).st_size >= ROTATE_BYTES:
                self._close()

    def _open(self):
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        name = f"{os.getpid()}-{time.time_ns()}-{os.urandom(4).hex()}"
        # Made under a name importers pass over and locked before it takes its own: an importer
        # must never find it unlocked, take it for abandoned and remove it.
        temporary = os.path.join(self.folder, "." + name)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_SH)
        os.rename(temporary, os.path.join(self.folder, name + SUFFIX))
        self.fd, self.name = fd, name + SUFFIX

    def close(self):
        with self.lock:
            self._close()

    def _close(self):
        if self.fd is not None:
            os.close(self.fd)  # lets go of the lock: once copied, an importer removes the file
            self.fd = self.name = None
