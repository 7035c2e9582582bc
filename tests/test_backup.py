"""`backup` and `restore`: a consistent copy taken while reviews are being saved, restored whole;
anything that is not an intact database of ours is refused; the database file is private."""

import itertools
import os
import sqlite3
import stat
import threading

from conftest import Auth
from test_api_reviews import stream_body

from outcomes import backup
from outcomes.db import connect
from outcomes.migrations import MIGRATIONS


def run(runner, *args, **kwargs):
    return runner.invoke(args=[str(arg) for arg in args], **kwargs)


def uuids(path):
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT uuid FROM reviews")}
    finally:
        conn.close()


class ReviewStream:
    """A practitioner saving reviews through the API in a thread until stopped."""

    def __init__(self, app, child_id):
        self.client = app.test_client()
        self.auth = Auth(self.client)
        self.auth.login("slt@test.example")
        self.child_id, self.acknowledged, self.stop = child_id, set(), threading.Event()
        self.days = itertools.count()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stop.is_set():
            body = stream_body(self.child_id, self.days)
            response = self.client.post("/api/v1/reviews", json=body, headers=self.auth.headers())
            assert response.status_code == 201, response.text
            self.acknowledged.add(body["uuid"])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)


def wait_for(stream, count):
    while len(stream.acknowledged) < count and stream.thread.is_alive():
        stream.stop.wait(0.05)


def test_backup_while_saving_reviews_then_restore_round_trip(app, runner, world, tmp_path):
    database = app.config["DATABASE"]
    copy = tmp_path / "backup.sqlite"
    with ReviewStream(app, world.amy) as stream:
        wait_for(stream, 3)
        result = run(runner, "backup", copy)
        wait_for(stream, len(stream.acknowledged) + 3)
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
    saved = uuids(copy)
    # A snapshot: reviews acknowledged before it are in it, nothing half-written; more came after.
    assert 3 <= len(saved) < len(stream.acknowledged) and saved <= stream.acknowledged
    assert uuids(database) == stream.acknowledged

    refused = run(runner, "restore", copy, input="n\n")
    assert refused.exit_code == 1 and uuids(database) == stream.acknowledged
    restored = run(runner, "restore", copy, "--yes")
    assert restored.exit_code == 0, restored.output
    assert uuids(database) == saved
    check = connect(database)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    check.close()
    # The app carries on serving from the restored data.
    assert app.test_client().get("/login").status_code == 200


def test_backup_will_not_overwrite_a_file(runner, world, tmp_path):
    target = tmp_path / "exists.sqlite"
    target.write_text("keep me")
    result = run(runner, "backup", target)
    assert result.exit_code == 1 and "already exists" in result.output
    assert target.read_text() == "keep me"


def test_restore_refuses_what_is_not_an_intact_database_of_ours(app, runner, world, tmp_path):
    database = app.config["DATABASE"]
    before = uuids(database), os.path.getsize(database)
    text = tmp_path / "notes.txt"
    text.write_text("not a database " * 100)
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (id INTEGER)")
    conn.commit()
    conn.close()
    good = tmp_path / "good.sqlite"
    backup.backup(database, good)
    torn = tmp_path / "torn.sqlite"
    data = bytearray(good.read_bytes())
    data[4096 * 3 : 4096 * 3 + 200] = b"\xff" * 200  # a damaged page in the middle
    torn.write_bytes(bytes(data))
    for path, message in [
        (text, "not a SQLite database"),
        (other, "not a database of this app"),
        (torn, ""),
        (tmp_path / "missing.sqlite", "is not a file"),
    ]:
        result = run(runner, "restore", path, "--yes")
        assert result.exit_code == 1 and "Nothing was changed" in result.output, (path, result.output)
        assert message in result.output
    assert (uuids(database), os.path.getsize(database)) == before


def test_new_database_and_its_wal_are_readable_by_the_owner_only(app, db, world):
    path = app.config["DATABASE"]
    for name in (path, path + "-wal", path + "-shm"):
        assert stat.S_IMODE(os.stat(name).st_mode) == 0o600, name


def test_a_backup_from_an_older_version_is_restored_and_migrated(app, runner, world, tmp_path):
    old = tmp_path / "old.sqlite"
    conn = sqlite3.connect(old)  # a database as the third release left it
    for sql in MIGRATIONS[:3]:
        conn.executescript(sql)
    conn.execute("INSERT INTO services (key, name) VALUES ('eh', 'Early Help')")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    result = run(runner, "restore", old, "--yes")
    assert result.exit_code == 0, result.output
    check = connect(app.config["DATABASE"])
    assert check.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert "child_erasures" in check.table_names()
    assert [row["key"] for row in check["services"].rows] == ["eh"]
    check.close()
