"""The write-transaction helper: every way out of it leaves no transaction open."""

import fcntl
import os
import sqlite3
import threading

import pytest

from outcomes.db import connect, migrate, write_transaction

ORPHAN_CASELOAD = (
    "INSERT INTO caseloads (child_id, service_id, started_on) VALUES (?, ?, ?)",
    [999, 999, "2026-01-01"],
)


@pytest.fixture
def database(tmp_path):
    db = connect(tmp_path / "db.sqlite")
    migrate(db)
    yield db
    db.close()


def committed_rows(path, table):
    """Rows counted on another connection: only what was committed."""
    other = connect(path)
    try:
        return other.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        other.close()


def test_a_commit_that_fails_rolls_back(tmp_path, database):
    # With foreign keys deferred the insert succeeds and COMMIT itself raises.
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        with write_transaction(database):
            database.execute("PRAGMA defer_foreign_keys = ON")
            database.execute(*ORPHAN_CASELOAD)
    assert not database.conn.in_transaction
    assert database.execute("SELECT count(*) FROM caseloads").fetchone()[0] == 0
    assert committed_rows(tmp_path / "db.sqlite", "caseloads") == 0


def test_the_next_write_after_a_failed_commit_is_committed(tmp_path, database):
    with pytest.raises(sqlite3.IntegrityError):
        with write_transaction(database):
            database.execute("PRAGMA defer_foreign_keys = ON")
            database.execute(*ORPHAN_CASELOAD)
    with write_transaction(database):
        database.execute("INSERT INTO login_failures (email) VALUES (?)", ["someone@test.example"])
    assert not database.conn.in_transaction
    assert committed_rows(tmp_path / "db.sqlite", "login_failures") == 1


def test_an_error_in_the_block_rolls_back(tmp_path, database):
    with pytest.raises(sqlite3.IntegrityError):
        with write_transaction(database):
            database.execute(*ORPHAN_CASELOAD)
    assert not database.conn.in_transaction
    assert committed_rows(tmp_path / "db.sqlite", "caseloads") == 0


def test_a_nested_block_is_a_savepoint_undone_alone(database):
    with write_transaction(database):
        database.execute("INSERT INTO login_failures (email) VALUES (?)", ["kept@test.example"])
        with pytest.raises(sqlite3.IntegrityError):
            with write_transaction(database):
                database.execute("INSERT INTO login_failures (email) VALUES (?)", ["undone@test.example"])
                database.execute(*ORPHAN_CASELOAD)
    emails = [row[0] for row in database.execute("SELECT email FROM login_failures")]
    assert emails == ["kept@test.example"]


def test_table_and_view_names_follow_a_schema_change_made_on_another_connection(tmp_path):
    path = str(tmp_path / "names.sqlite")
    first, second = connect(path), connect(path)
    assert "later" not in first.table_names()  # the names are now kept by this connection...
    second.conn.execute("CREATE TABLE later (id INTEGER PRIMARY KEY)")
    second.conn.execute("CREATE VIEW later_view AS SELECT id FROM later")
    second.conn.commit()
    # ...and still follow the schema another connection (another worker) changed.
    assert "later" in first.table_names() and first["later"].exists()
    assert first.view_names() == ["later_view"] and "later_view" not in first.table_names()
    first["later"].insert({"id": 1})
    assert first.execute("SELECT count(*) FROM later_view").fetchone()[0] == 1


def test_writers_wait_their_turn_in_the_queue_and_none_is_lost(tmp_path, database):
    """A page's audit entry written while a review's transaction holds the lock waits in the writers'
    queue (not SQLite's sleeping busy handler) and is written the moment the review commits."""
    from outcomes import audit

    queue = database.writers_queue
    assert queue == str(tmp_path / "db.sqlite") + "-writers"
    other = connect(tmp_path / "db.sqlite")
    started, done = threading.Event(), threading.Event()

    def page_view():
        started.set()
        audit.record(other, None, "view child record")
        done.set()

    with write_transaction(database):
        database.execute("INSERT INTO audit_log (action) VALUES ('submit review')")
        # While the transaction is open its writer holds the queue: nobody else can take it.
        probe = os.open(queue, os.O_RDWR)
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        reader = threading.Thread(target=page_view)
        reader.start()
        started.wait(5)
        assert not done.wait(0.2), "the audit entry was written inside another writer's transaction"
    reader.join(10)
    assert done.is_set()
    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once both have written
    os.close(probe)
    other.close()
    assert committed_rows(tmp_path / "db.sqlite", "audit_log") == 2
