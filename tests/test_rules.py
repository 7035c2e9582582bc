"""DESIGN.md's shared rules (outcomes/rules.py): the counted review and the next review's due date."""
import re
from datetime import date

from outcomes import children, offline_bundle
from outcomes.rules import counted, due_date, due_date_sql, next_review


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


def test_the_next_review_is_due_one_interval_after_the_last():
    assert due_date("2025-01-01", 182) == date(2025, 7, 2)
    assert due_date(date(2025, 1, 1), 182) == date(2025, 7, 2)
    expected = {"next_due": "2025-07-02", "overdue": False}
    assert next_review("2025-01-01", 182, today=date(2025, 3, 1)) == expected


def test_due_today_is_not_overdue_and_the_day_after_is():
    assert next_review("2025-01-01", 182, today=date(2025, 7, 2))["overdue"] is False
    assert next_review("2025-01-01", 182, today=date(2025, 7, 3))["overdue"] is True


def test_a_child_never_reviewed_is_due_now_and_not_overdue():
    assert next_review(None, 182, today=date(2025, 7, 3)) == {"next_due": None, "overdue": False}


def test_the_sql_due_date_agrees_with_the_python_one(db):
    found = db.execute(f"SELECT {due_date_sql(':last', ':interval')}", {"last": "2024-02-28", "interval": 2})
    assert found.fetchone()[0] == due_date("2024-02-28", 2).isoformat() == "2024-03-01"


def test_caseload_rows_and_the_offline_bundle_carry_the_same_overdue(db, world):
    slt = world.services["slt"]
    db["reviews"].insert({"uuid": "u", "status": "submitted", "date": "2025-01-01", "child_id": world.amy,
                          "service_id": slt, "star_version_id": 1, "practitioner_id": world.slt,
                          "content_hash": ""})
    rows = {row["id"]: row for row in children.caseload(db, world.slt, slt, today=date(2025, 7, 3))}
    assert (rows[world.amy]["next_due"], rows[world.amy]["overdue"]) == ("2025-07-02", True)
    assert (rows[world.bob]["next_due"], rows[world.bob]["overdue"]) == (None, False)
    bundle = offline_bundle.caseload_bundle(db, world.slt)
    [amy] = [child for child in bundle["children"] if child["id"] == world.amy]
    assert amy["services"]["slt"]["next_due"] == "2025-07-02" and amy["services"]["slt"]["overdue"] is True
