"""DESIGN.md's shared rules (outcomes/rules.py): the counted review and the next review's due date."""
import re

from outcomes.rules import counted


def partial_index_conditions(db):
    """{index name: its WHERE clause, spaces folded} for every partial index on reviews."""
    rows = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews'")
    return {
        name: " ".join(sql.split(" WHERE ", 1)[1].split())
        for name, sql in rows if sql and " WHERE " in sql
    }


def test_the_counted_indexes_use_the_counted_rule_word_for_word(db):
    # Shipped migrations cannot import Python: this keeps their copy of the rule the same, so
    # SQLite can use the partial indexes for every counted query.
    conditions = partial_index_conditions(db)
    assert set(conditions) == {"reviews_counted_by_service_date", "reviews_counted_by_service_child_date"}
    assert set(conditions.values()) == {counted("")}


def test_counted_names_the_table_alias():
    assert counted() == "r.status = 'submitted' AND r.is_latest = 1"
    assert counted("p") == "p.status = 'submitted' AND p.is_latest = 1"
    assert not re.search(r"\?|:", counted(""))  # a fragment, never a value


def test_counted_keeps_drafts_and_earlier_versions_out(db, world):
    rows = [("draft", 1), ("submitted", 0), ("submitted", 1)]
    for number, (status, latest) in enumerate(rows):
        db["reviews"].insert({
            "uuid": f"u{number}", "status": status, "is_latest": latest, "date": "2025-01-01",
            "child_id": world.amy, "service_id": world.services["slt"], "star_version_id": 1,
            "practitioner_id": world.slt, "content_hash": "",
        })
    found = db.execute(f"SELECT r.uuid FROM reviews r WHERE {counted()}").fetchall()
    assert found == [("u2",)]
