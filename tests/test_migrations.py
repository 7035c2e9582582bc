"""Migrations are append-only, and a database built by any earlier release upgrades to exactly
the schema a new database gets, keeping its rows."""

import hashlib
import io
from pathlib import Path

import pytest
from conftest import PASSWORD, PASSWORD_HASH, Auth

from outcomes import create_app, facts, importer, rules, scorecard
from outcomes.db import connect, migrate, schema_version
from outcomes.migrations import MIGRATIONS

HISTORY = Path(__file__).resolve().parent / "migration_history"

# sha256 of the text of every migration that has shipped: databases have run these, so their
# text never changes. Add each new migration's number and hash here when it ships.
SHIPPED = {
    1: "ac4f76a2c1bb675a174dd70479fe3f4f1ee106c682d2ee7023ad00f996ee92a5",
    2: "ac03920e3392be64dcec5cb552e1c1e6224ad52b272ebfa83dafdf9ddc08f816",
    3: "6fab1d21fda96ddd3cd5bbdcd7bc83e14db040728323ff23204fe4c61cd5954d",
    4: "d9d3ccb0951fbd7af7a267930df9ae340db835bc793c1d7d6e7033b762d05fcd",
    5: "2a1b9e601351de30e71c7c8a29a57d9cfd2717aaae730d8f3ca8a379946098a5",
    6: "88a60798082a7616fae048ce04def7fbbe69b73da87fc9db7311d3a2aab10990",
    7: "89e38e331bbc3475fd3891df3a8ca5afb778f63a5e7d0a9ca85696c962ccbbaf",
    8: "a065ec6013e0c85af03109c8911d477ef6423314e82bc087ee08e3837e7e99a0",
    9: "f88a5594ddc4448c38d6848c6f089edecea9818304cd5dadffe30612b31c63cf",
    10: "d8bed91bd1dc4142361598684443719a926634ce2707957bae39213386bf6183",
    11: "5e8692a6601a4c61eb61843813b19d00f9b13cfb418263a308526673b489adb8",
    12: "4f11e7efdbd06eb5c852886990b59f059422639cd5a3c5cb4eb72a16b15d8269",
    13: "3b8b7f89cd1bc80d817aa1349b3bf5944342175068edb976833d9ce217cdc68f",
    14: "c3338c7951259e792bf1fbb49612988d94fa1519a5bf3b0ac24cb93817ad6961",
    15: "39ded7f5260c973e6e8cdb2b58cb1e29cb0672bc02d2d4f61b749c531f22205f",
    16: "e48bf5ada379eb9256863293bbc78f94a8256f985d0d586533efbcff46acf15e",
    17: "5476bc7b612aa43e1134e4c12b30ba4dbaaa8f86833b66bc98dae729f3b25d9d",
    18: "fe5aa9f891358debf19b81c44622974a6344a051550d05ab707fce82601af511",
    19: "f31e098514112c483c28339bb5d339bcb6840f93f4a9a5e72b210ea58ffe17b0",
    20: "c67ecf3615a46f59a364a0a229e5ab8a0301889173539ea18b383bf180dd5012",
    21: "9729f5496114750704ce739383ded011b3d4143f0aa8212ba20a69d345f700b9",
    22: "44e13d7f57a156ff5e856d7bfcd3e3f66e7ce97d42a419843e90ad94066edc99",
}

# Every text the first migration has had in a release. It was edited twice after shipping
# (the edits are now migrations 2 and 3), so a database at user_version 1 may hold any of them.
FIRST_MIGRATION_HISTORY = [
    "m001_shipped.sql",
    "m001_edited_scorecard_index.sql",
    "m001_edited_import_uploads.sql",
]


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def history(name):
    return (HISTORY / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("number", sorted(SHIPPED))
def test_shipped_migrations_are_never_edited(number):
    assert number <= len(MIGRATIONS), f"migration {number} has shipped and was removed"
    assert sha256(MIGRATIONS[number - 1]) == SHIPPED[number], (
        f"migration {number} has shipped and its text changed: migrations are append-only: add a new one"
    )


def test_the_first_migration_is_the_text_it_shipped_with():
    assert sha256(history("m001_shipped.sql")) == SHIPPED[1]


# --- Databases from earlier releases ------------------------------------------------------


@pytest.fixture
def open_db(tmp_path):
    """Opens databases in tmp_path by file name; all are closed after the test."""
    opened = []

    def open_(name):
        opened.append(connect(tmp_path / name))
        return opened[-1]

    yield open_
    for db in opened:
        db.close()


def at_version_1(db, first_migration):
    """The database as a release with this text of the first migration left it."""
    db.conn.executescript(first_migration)
    db.conn.execute("PRAGMA user_version = 1")
    return db


# A row in every table a review touches, written in SQL the first release understood.
ROWS = [
    ("INSERT INTO stars (id, key, name) VALUES (?, ?, ?)", [1, "slt", "Communication star"]),
    (
        "INSERT INTO star_versions (id, star_id, version, published_at) VALUES (?, ?, ?, ?)",
        [1, 1, 1, "2025-01-01"],
    ),
    (
        "INSERT INTO domains (id, star_version_id, key, label, description, position) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [1, 1, "talk", "Talking", "Says what they need", 1],
    ),
    (
        "INSERT INTO stages (star_version_id, position, name, min_score, max_score) VALUES (?, ?, ?, ?, ?)",
        [1, 1, "Starting", 1, 10],
    ),
    ("INSERT INTO services (id, key, name, star_id) VALUES (?, ?, ?, ?)", [1, "slt", "Speech therapy", 1]),
    (
        "INSERT INTO users (id, email, name, password_hash, role) VALUES (?, ?, ?, ?, ?)",
        [1, "admin@test.example", "Ada Admin", PASSWORD_HASH, "admin"],
    ),
    (
        "INSERT INTO users (id, email, name, password_hash, role) VALUES (?, ?, ?, ?, ?)",
        [2, "slt@test.example", "Sally SLT", PASSWORD_HASH, "practitioner"],
    ),
    ("INSERT INTO memberships (user_id, service_id, role) VALUES (?, ?, ?)", [2, 1, "practitioner"]),
    (
        "INSERT INTO children (id, given_name, family_name, date_of_birth) VALUES (?, ?, ?, ?)",
        [1, "Amy", "Able", "2016-05-01"],
    ),
    (
        "INSERT INTO caseloads (child_id, service_id, practitioner_id, started_on) VALUES (?, ?, ?, ?)",
        [1, 1, 2, "2024-01-01"],
    ),
    (
        "INSERT INTO reviews (id, uuid, series_id, child_id, service_id, star_version_id, practitioner_id,"
        " date, status, content_hash, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            1,
            "7f1d2c3e-0000-4000-8000-000000000001",
            1,
            1,
            1,
            1,
            2,
            "2025-03-01",
            "submitted",
            "hash",
            "2025-03-01T10:00:00",
        ],
    ),
    ("INSERT INTO readings (review_id, domain_id, score) VALUES (?, ?, ?)", [1, 1, 4]),
    (
        "INSERT INTO audit_log (user_id, action, child_id, detail) VALUES (?, ?, ?, ?)",
        [2, "view child", 1, "record"],
    ),
]


def add_rows(db):
    with db.conn:
        for sql, params in ROWS:
            db.execute(sql, params)
        if "import_uploads" in db.table_names():
            db.execute(
                "INSERT INTO import_uploads (user_id, filename, content) VALUES (?, ?, ?)",
                [1, "children.csv", "local_id\n"],
            )


def all_rows(db, columns=None):
    """Every row of every table; of `columns` ({table: names}) only, to compare across an added column."""
    # Names come from sqlite_master, not from input; repr orders rows holding NULLs.
    columns = columns or {name: [column.name for column in db[name].columns] for name in db.table_names()}
    return {
        name: sorted(
            db.execute(
                f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in names)} FROM "{name}"'
            ).fetchall(),
            key=repr,
        )
        for name, names in columns.items()
    }


def schema(db):
    """sqlite_master without page numbers, whitespace in the SQL collapsed."""
    rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    return sorted((kind, name, table, sql and " ".join(sql.split())) for kind, name, table, sql in rows)


def upgraded(db, name):
    add_rows(at_version_1(db, history(name)))
    migrate(db)
    return db


@pytest.mark.parametrize("name", FIRST_MIGRATION_HISTORY)
def test_a_database_from_every_release_upgrades_to_the_schema_of_a_new_one(open_db, name):
    db = at_version_1(open_db("old.sqlite"), history(name))
    add_rows(db)
    before = all_rows(db)
    old_columns = {name: [column.name for column in db[name].columns] for name in db.table_names()}
    assert migrate(db) == len(MIGRATIONS)
    new = open_db("new.sqlite")
    migrate(new)
    assert schema(db) == schema(new)
    assert all_rows(db, old_columns) == before
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


@pytest.mark.parametrize("name", FIRST_MIGRATION_HISTORY)
def test_an_upgraded_database_stages_imports(open_db, name):
    db = upgraded(open_db("old.sqlite"), name)
    upload_id = importer.stage(db, 1, "children.csv", "local_id\n")
    assert importer.staged(db, upload_id, 1)["filename"] == "children.csv"


@pytest.mark.parametrize("name", FIRST_MIGRATION_HISTORY)
def test_the_scorecard_uses_its_index_in_an_upgraded_database(open_db, name):
    db = upgraded(open_db("old.sqlite"), name)
    scorecard.services(db)  # makes the connection's temp table of a breakdown group
    params = {"service": 1, "grouped": 0, "start": "2025-01-01", "end": "2025-12-31"}
    plan = db.execute("EXPLAIN QUERY PLAN " + scorecard.ACTIVITY_SQL, params).fetchall()
    assert any("review_facts_by_service_date" in row[-1] for row in plan), plan
    # The facts' own upkeep finds a child's counted reviews by this index.
    refresh = db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM reviews WHERE service_id = 1 AND child_id = 1 AND "
        + rules.counted("")
    ).fetchall()
    assert any("reviews_counted_by_service_child_date" in row[-1] for row in refresh), refresh


@pytest.mark.parametrize("name", FIRST_MIGRATION_HISTORY)
def test_an_upgraded_database_gets_the_facts_of_the_reviews_it_held(open_db, name):
    db = upgraded(open_db("old.sqlite"), name)
    counted = db.execute("SELECT count(*) FROM reviews WHERE " + rules.counted("")).fetchone()[0]
    held = facts.rows(db)
    assert counted > 0 and len(held["review_facts"]) == counted
    facts.rebuild(db)
    assert facts.rows(db) == held


def test_the_admin_imports_children_into_a_database_from_the_first_release(tmp_path, open_db):
    add_rows(at_version_1(open_db("first-release.sqlite"), history("m001_shipped.sql")))
    path = tmp_path / "first-release.sqlite"
    client = create_app({"TESTING": True, "DATABASE": str(path), "SECRET_KEY": "test"}).test_client()
    auth = Auth(client)
    auth.login("admin@test.example", PASSWORD)
    csv = (
        "local_id,nhs_number,given_name,family_name,date_of_birth,service,practitioner_email,started_on\n"
        "A1,,Ben,Okoro,2016-11-02,slt,,2025-10-15\n"
    )
    page = client.post(
        "/admin/import",
        content_type="multipart/form-data",
        data={
            "csrf_token": auth.headers()["X-CSRFToken"],
            "file": (io.BytesIO(csv.encode()), "children.csv"),
        },
    )
    assert page.status_code == 200, page.text
    assert "Ready to import children.csv" in page.text


# --- Running migrate ----------------------------------------------------------------------


def test_migrate_leaves_user_version_at_the_number_of_migrations(open_db):
    db = open_db("new.sqlite")
    assert schema_version(db) == 0
    assert migrate(db) == len(MIGRATIONS)
    assert schema_version(db) == len(MIGRATIONS)


def test_migrating_twice_changes_nothing(open_db):
    db = open_db("new.sqlite")
    migrate(db)
    add_rows(db)
    before = (schema(db), all_rows(db))
    statements = []
    db.conn.set_trace_callback(statements.append)
    assert migrate(db) == len(MIGRATIONS)
    db.conn.set_trace_callback(None)
    assert (schema(db), all_rows(db)) == before
    assert not [sql for sql in statements if not sql.startswith(("BEGIN", "PRAGMA user_version", "COMMIT"))]
