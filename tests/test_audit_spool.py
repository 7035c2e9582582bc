"""Read audit entries wait in a file of the process's own and reach the audit trail in batches:
a page view writes nothing to the database, and no entry is ever lost or copied twice."""

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_cheap_requests import statements_of

from outcomes import audit, audit_spool, backup, offline_bundle
from outcomes.db import connect, write_transaction

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def batched(app):
    """The app as it runs in production: entries copied about once a second, not at every request."""
    app.config.update(AUDIT_SPOOL_SECONDS=60, AUDIT_SPOOL_ENTRIES=1000)
    return app


@pytest.fixture
def slt(client, auth, world):
    auth.login("slt@test.example")
    return client


def in_table(db, action="view child record"):
    """Rows in audit_log itself (what a reader would find without copying the spool first)."""
    return db.execute("SELECT count(*) FROM audit_log WHERE action = ?", [action]).fetchone()[0]


def spool_files(db):
    folder = db.audit_spool
    return (
        sorted(name for name in os.listdir(folder) if name.endswith(".log")) if os.path.isdir(folder) else []
    )


def test_a_page_view_is_audited_without_writing_the_database(batched, slt, world, db):
    before = in_table(db)
    seen = statements_of(batched, slt, f"/children/{world.amy}")
    assert not [s for s in seen if s.split()[0].upper() in ("BEGIN", "INSERT", "UPDATE", "DELETE")], seen
    assert in_table(db) == before  # still in the spool...
    # ...and the audit trail shows it: reading the trail copies the spool first.
    latest = audit.entries(db, child_id=world.amy, limit=1)[0]
    assert (latest["user_id"], latest["action"]) == (world.slt, "view child record")
    assert in_table(db) == before + 1
    assert audit.entries(db, child_id=world.amy, limit=1)[0] == latest  # copied once


def test_entries_keep_the_time_of_the_read_not_of_the_copy(batched, slt, world, db):
    started = audit_spool.now()
    slt.get(f"/children/{world.amy}")
    read_at = audit_spool.now()
    db.execute("INSERT INTO audit_log (at, action) VALUES ('2999-01-01T00:00:00.000Z', 'marker')")
    db.conn.commit()
    entry = audit.entries(db, child_id=world.amy, limit=1)[0]
    assert started <= entry["at"] <= read_at


def test_a_page_leaves_while_a_review_holds_the_write_lock(batched, slt, world, db):
    """No page waits for the write lock for its entry; the entry follows when the lock is free."""
    slt.get(f"/children/{world.amy}")  # the thread's connection opened
    result = {}
    reader = threading.Thread(target=lambda: result.update(page=slt.get(f"/children/{world.amy}")))
    with write_transaction(db):  # another writer, as a review's transaction
        reader.start()
        reader.join(20)
        assert not reader.is_alive(), "the page waited for the write lock"
    assert result["page"].status_code == 200
    assert [e["action"] for e in audit.entries(db, child_id=world.amy)].count("view child record") == 2


def test_a_worker_copies_its_spool_once_enough_entries_wait(batched, slt, world, db):
    batched.config["AUDIT_SPOOL_ENTRIES"] = 3
    audit_spool.import_all(db)  # her sign-in's entry
    before = in_table(db)
    slt.get(f"/children/{world.amy}")
    slt.get(f"/children/{world.bob}")
    assert in_table(db) == before
    slt.get(f"/children/{world.amy}")  # the third: copied at the end of this request
    assert in_table(db) == before + 3


def test_a_caseload_lists_every_child_in_the_spool_and_then_the_trail(batched, slt, world, db):
    before = in_table(db, "view caseload")
    assert slt.get("/caseload").status_code == 200
    assert in_table(db, "view caseload") == before
    listed = {e["child_id"] for e in audit.entries(db, user_id=world.slt) if e["action"] == "view caseload"}
    assert listed == {world.amy, world.bob}


def test_the_offline_bundle_knows_a_child_opened_a_moment_ago(batched, slt, world, db):
    assert slt.get(f"/children/{world.bob}").status_code == 200
    assert world.bob in offline_bundle.recently_opened(db, world.slt)


def test_a_backup_holds_the_entries_still_in_the_spool(batched, slt, world, db, tmp_path):
    slt.get(f"/children/{world.amy}")
    copy = tmp_path / "backup.sqlite"
    backup.backup(batched.config["DATABASE"], str(copy))
    restored = connect(str(copy))
    try:
        assert in_table(restored) == in_table(db) >= 1
    finally:
        restored.close()


KILLED_MID_LINE = """
import os, signal, sys
sys.path.insert(0, {root!r})
from outcomes import audit_spool
from outcomes.db import connect
db = connect({database!r})
audit_spool.append(db, {user}, "view child record", [{child}], "whole")
spool = audit_spool._spools[(os.getpid(), db.audit_spool)]
os.write(spool.fd, b'["2026-01-01T00:00:00.000Z",{user},"view chi')  # killed inside a write
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_file_left_with_a_torn_last_line_is_removed_once_its_whole_lines_are_copied(app, world, db):
    database = app.config["DATABASE"]
    script = KILLED_MID_LINE.format(root=str(ROOT), database=database, user=world.slt, child=world.bob)
    assert subprocess.run([sys.executable, "-c", script], timeout=60).returncode == -9
    assert audit_spool.import_all(db) == 1
    assert spool_files(db) == []
    assert [e["detail"] for e in audit.entries(db, child_id=world.bob)] == ["whole"]
    assert audit_spool.import_all(db) == 0


KILLED_WRITER = """
import os, signal, sys
sys.path.insert(0, {root!r})
from outcomes import audit_spool
from outcomes.db import connect
db = connect({database!r})
audit_spool.append(db, {user}, "view child record", [{child}], "a")
audit_spool.append(db, {user}, "view child record", [{child}], "b")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_entries_of_a_killed_process_are_copied_once_and_its_file_removed(app, world, db):
    script = KILLED_WRITER.format(
        root=str(ROOT), database=app.config["DATABASE"], user=world.slt, child=world.bob
    )
    process = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert process.returncode == -9
    assert len(spool_files(db)) == 1
    assert audit_spool.import_all(db) == 2
    assert [e["detail"] for e in audit.entries(db, child_id=world.bob)][:2] == ["b", "a"]
    assert spool_files(db) == []  # its process is gone and every entry copied
    assert audit_spool.import_all(db) == 0
    assert db.execute("SELECT count(*) FROM audit_spool").fetchone()[0] == 0


def test_a_copy_that_fails_leaves_the_entries_to_the_next_one(batched, slt, world, db, monkeypatch):
    audit_spool.import_all(db)  # her sign-in's entry
    slt.get(f"/children/{world.amy}")
    before = in_table(db)
    real = audit_spool._copy

    def copy_then_fail(*args):
        real(*args)
        raise OSError("disk gone")

    monkeypatch.setattr(audit_spool, "_copy", copy_then_fail)
    with pytest.raises(OSError):
        audit_spool.import_all(db)
    monkeypatch.undo()
    assert in_table(db) == before  # the rows and how far the file was copied: rolled back together
    assert audit_spool.import_all(db) == 1
    assert audit_spool.import_all(db) == 0


def test_only_whole_lines_are_copied(app, world, db):
    """An entry being written (its line not yet ended) waits for the next copy."""
    os.makedirs(db.audit_spool, exist_ok=True)
    path = os.path.join(db.audit_spool, "1-1-test.log")
    whole = f'["2026-01-01T00:00:00.000Z",{world.slt},"view child record","whole",[{world.amy}]]\n'
    with open(path, "w") as file:
        fcntl.flock(file, fcntl.LOCK_SH)  # as its living process holds it
        file.write(whole + whole[:30])
        file.flush()
        assert audit_spool.import_all(db) == 1
        file.write(whole[30:])
        file.flush()
        assert audit_spool.import_all(db) == 1
    assert [e["detail"] for e in audit.entries(db, child_id=world.amy)] == ["whole", "whole"]


def test_a_living_process_keeps_its_file_and_starts_a_new_one_when_long(batched, slt, world, db, monkeypatch):
    slt.get(f"/children/{world.amy}")
    audit_spool.import_all(db)
    (kept,) = spool_files(db)  # copied in full, but its process still writes there
    slt.get(f"/children/{world.amy}")
    assert spool_files(db) == [kept]
    monkeypatch.setattr(audit_spool, "ROTATE_BYTES", 1)
    audit_spool.import_all(db)  # long enough now: this process lets it go, and it is removed
    audit_spool.import_all(db)
    assert spool_files(db) == []
    slt.get(f"/children/{world.bob}")
    (new,) = spool_files(db)
    assert new != kept
    assert [e["action"] for e in audit.entries(db, child_id=world.amy)].count("view child record") == 2
    assert [e["action"] for e in audit.entries(db, child_id=world.bob)].count("view child record") == 1


def test_a_file_is_removed_only_once_its_last_entry_is_copied(app, world, db):
    """Its process may add an entry after a copy and then go, before the file is looked at again."""
    os.makedirs(db.audit_spool, exist_ok=True)
    name = "1-2-gone.log"
    path = os.path.join(db.audit_spool, name)
    line = f'["2026-01-01T00:00:00.000Z",{world.slt},"view child record","%s",[{world.amy}]]\n'
    with open(path, "w") as file:
        file.write(line % "first")
    audit_spool.import_all(db)  # copied, and removed: nothing holds it
    assert spool_files(db) == []
    with open(path, "w") as file:
        file.write(line % "second")
    with write_transaction(db):  # copied up to the end of "second"...
        audit_spool._copy(db, path, name, 0)
    with open(path, "a") as file:
        file.write(line % "third")  # ...then one more, and its process goes
    audit_spool._remove_if_abandoned(db, path, name)
    assert spool_files(db) == [name]
    audit_spool.import_all(db)
    assert spool_files(db) == []
    assert [e["detail"] for e in audit.entries(db, child_id=world.amy)] == ["third", "second", "first"]


def test_a_line_that_cannot_go_in_is_left_out_and_never_stops_the_others(app, world, db, caplog):
    """A torn or foreign line, or an entry naming a child the database has not got (a restored
    backup): logged and left out, and every other entry copied."""
    os.makedirs(db.audit_spool, exist_ok=True)
    line = '["2026-01-01T00:00:00.000Z",%s,"view child record","%s",[%s]]\n'
    with open(os.path.join(db.audit_spool, "1-3-mixed.log"), "w") as file:
        file.write(line % (world.slt, "before", world.amy))
        file.write("not json at all\n")
        file.write('["2026-01-01T00:00:00.000Z",1,"sign in",null,"password"]\n')  # another shape
        file.write(line % (world.slt, "no such child", 999999))
        file.write(line % (world.slt, "after", f"{world.amy},{world.bob}"))
    assert audit_spool.import_all(db) == 3
    assert [e["detail"] for e in audit.entries(db, child_id=world.amy)] == ["after", "before"]
    assert [e["detail"] for e in audit.entries(db, child_id=world.bob)] == ["after"]
    assert db.execute("SELECT count(*) FROM audit_log WHERE child_id = 999999").fetchone()[0] == 0
    assert [r.message.split(":")[1].strip() for r in caplog.records] == [
        "an unreadable line skipped",
        "an unreadable line skipped",
        "an entry refused (FOREIGN KEY constraint failed) and left out",
    ]
    assert audit_spool.import_all(db) == 0  # and nothing is tried again


def test_reading_the_trail_takes_no_write_lock_when_nothing_waits(batched, slt, world, db):
    slt.get(f"/children/{world.amy}")
    seen = []
    db.conn.set_trace_callback(seen.append)
    audit.count(db)  # copies the waiting entry...
    assert [s for s in seen if s.startswith("BEGIN")]
    seen.clear()
    audit.entries(db, limit=5)  # ...and then finds nothing waiting
    db.conn.set_trace_callback(None)
    assert not [s for s in seen if s.split()[0] in ("BEGIN", "INSERT", "DELETE")], seen
