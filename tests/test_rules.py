"""DESIGN.md's shared rules: the counted review and the next review's due date (outcomes/rules.py),
and who may see which child and service (outcomes/access.py)."""

import re
import sqlite3
from datetime import date
from types import SimpleNamespace

from hypothesis import example, given, settings
from hypothesis import strategies as st

from outcomes import access, children, family, offline_bundle
from outcomes.rules import (
    counted,
    due_date,
    due_date_sql,
    due_soon_by_previous_sql,
    due_soon_sql,
    next_review,
    overdue_by_previous_sql,
    overdue_sql,
)


def partial_index_conditions(db):
    """{index name: its WHERE clause, spaces folded} for every partial index on reviews."""
    rows = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reviews'")
    return {
        name: " ".join(sql.split(" WHERE ", 1)[1].split()) for name, sql in rows if sql and " WHERE " in sql
    }


def test_the_counted_indexes_use_the_counted_rule_word_for_word(db):
    # Shipped migrations cannot import Python: this keeps their copy of the rule the same, so
    # SQLite can use the partial indexes for every counted query.
    conditions = partial_index_conditions(db)
    # Besides them, only the caseload's index of drafts (a draft never counts).
    assert conditions.pop("reviews_drafts_by_child") == "status = 'draft'"
    assert set(conditions) == {"reviews_counted_by_service_date", "reviews_counted_by_service_child_date"}
    assert set(conditions.values()) == {counted("")}


def test_counted_names_the_table_alias():
    assert counted() == "r.status = 'submitted' AND r.is_latest = 1 AND r.withdrawn_at IS NULL"
    assert counted("p") == "p.status = 'submitted' AND p.is_latest = 1 AND p.withdrawn_at IS NULL"
    assert not re.search(r"\?|:", counted(""))  # a fragment, never a value


def test_counted_keeps_drafts_and_earlier_versions_out(db, world):
    rows = [("draft", 1), ("submitted", 0), ("submitted", 1)]
    for number, (status, latest) in enumerate(rows):
        db["reviews"].insert(
            {
                "uuid": f"u{number}",
                "status": status,
                "is_latest": latest,
                "date": "2025-01-01",
                "child_id": world.amy,
                "service_id": world.services["slt"],
                "star_version_id": 1,
                "practitioner_id": world.slt,
                "content_hash": "",
            }
        )
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


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    st.one_of(st.none(), st.dates(date(2023, 1, 1), date(2026, 12, 31))),
    st.integers(1, 400),
    st.dates(date(2024, 1, 1), date(2027, 12, 31)),
)
# Due today, yesterday, in 28 days and in 29 (the edges of both), over a leap day.
@example(date(2024, 1, 1), 182, date(2024, 7, 1))
@example(date(2024, 1, 1), 182, date(2024, 7, 2))
@example(date(2024, 1, 1), 182, date(2024, 6, 3))
@example(date(2024, 1, 1), 182, date(2024, 6, 2))
def test_overdue_and_due_soon_on_the_previous_review_agree_with_the_due_date(previous, interval, today):
    """The caseload filters on the last review's date (so its index answers them): the same children
    as the conditions on the due date, around month ends and leap days alike."""
    due = due_date_sql(":previous", ":interval")
    sql = f"""SELECT {overdue_sql(due)}, {overdue_by_previous_sql(":previous", ":interval")},
                     {due_soon_sql(due)}, {due_soon_by_previous_sql(":previous", ":interval")}"""
    params = {"previous": previous and previous.isoformat(), "interval": interval, "today": today.isoformat()}
    with sqlite3.connect(":memory:") as conn:
        overdue, overdue_before, soon, soon_before = conn.execute(sql, params).fetchone()
    assert (bool(overdue), bool(soon)) == (bool(overdue_before), bool(soon_before))
    assert bool(overdue) == next_review(params["previous"], interval, today)["overdue"]


def test_caseload_rows_and_the_offline_bundle_carry_the_same_overdue(db, world):
    slt = world.services["slt"]
    db["reviews"].insert(
        {
            "uuid": "u",
            "status": "submitted",
            "date": "2025-01-01",
            "child_id": world.amy,
            "service_id": slt,
            "star_version_id": 1,
            "practitioner_id": world.slt,
            "content_hash": "",
        }
    )
    rows = {row["id"]: row for row in children.caseload(db, world.slt, slt, today=date(2025, 7, 3))}
    assert (rows[world.amy]["next_due"], rows[world.amy]["overdue"]) == ("2025-07-02", True)
    assert (rows[world.bob]["next_due"], rows[world.bob]["overdue"]) == (None, False)
    bundle = offline_bundle.caseload_bundle(db, world.slt)
    [amy] = [child for child in bundle["children"] if child["id"] == world.amy]
    kept = amy["services"]["slt"]
    assert kept["next_due_text"] == "2 July 2025" and kept["overdue"] is True


# --- Who may see what (outcomes/access.py) ------------------------------------------------------


def person(user_id, role):
    return SimpleNamespace(id=user_id, role=role)


def service_keys(rows):
    return [row["key"] for row in rows]


def test_a_family_sees_only_a_linked_child(db, world):
    parent = person(world.family, "family")
    assert access.may_see_child(db, parent, world.amy)
    assert not access.may_see_child(db, parent, world.bob)
    assert service_keys(access.visible_services(db, parent, world.amy)) == ["physio", "slt"]
    assert access.visible_services(db, parent, world.bob) == []
    assert family.linked_child(db, world.family, world.bob) is None
    assert [child["id"] for child in family.linked_children(db, world.family)] == [world.amy]


def test_a_practitioner_of_another_service_cannot_see_or_review(db, world):
    physio = person(world.physio, "practitioner")
    assert not access.may_see_child(db, physio, world.bob)  # on the SLT caseload only
    assert access.visible_services(db, physio, world.bob) == []
    assert service_keys(access.visible_services(db, physio, world.amy)) == ["physio"]
    assert access.may_review(db, world.physio, world.amy, world.services["physio"])
    assert not access.may_review(db, world.physio, world.amy, world.services["slt"])
    assert [row["id"] for row in children.caseload(db, world.physio, world.services["slt"])] == []


def test_a_discharged_child_leaves_the_practitioner_view(db, world):
    slt = person(world.slt, "practitioner")
    db.execute("UPDATE caseloads SET discharged_on = '2025-01-01' WHERE child_id = ?", [world.bob])
    assert not access.may_see_child(db, slt, world.bob)
    assert not access.may_review(db, world.slt, world.bob, world.services["slt"])


def test_a_manager_sees_only_the_services_she_manages_and_no_child(db, world):
    manager = person(world.manager, "manager")
    assert service_keys(access.managed_services(db, manager)) == ["slt"]
    assert len(access.managed_services(db, person(world.admin, "admin"))) == 4
    assert access.managed_services(db, person(world.slt, "practitioner")) == []
    assert not access.may_see_child(db, manager, world.amy)
    assert access.visible_services(db, manager, world.amy) == []


def test_an_admin_sees_every_child_and_a_missing_one_is_not_found(db, world):
    admin = person(world.admin, "admin")
    assert access.may_see_child(db, admin, world.cat)
    assert not access.may_see_child(db, admin, 10_000)
