"""The audit trail: staff reads and writes of a child's record are logged, and the admin can
filter them by person, child and date and download them as CSV."""

import csv
import html
import io

import pytest
from conftest import row_counts

from outcomes import audit


@pytest.fixture
def trail(world, db):
    """A few dated entries, besides whatever the test itself causes."""
    db["audit_log"].insert_all(
        [
            {
                "at": "2025-01-10T09:00:00.000Z",
                "user_id": world.slt,
                "action": "view child record",
                "child_id": world.amy,
            },
            {
                "at": "2025-02-10T09:00:00.000Z",
                "user_id": world.slt,
                "action": "submit review",
                "child_id": world.bob,
            },
            {
                "at": "2025-02-28T23:59:59.000Z",
                "user_id": world.physio,
                "action": "view child record",
                "child_id": world.cat,
            },
            {
                "at": "2025-03-01T00:00:00.000Z",
                "user_id": world.admin,
                "action": "discharge",
                "child_id": world.amy,
            },
        ]
    )
    return world


def test_a_practitioners_view_of_a_child_appears_on_the_admin_audit_page(client, auth, world, db):
    auth.login("slt@test.example")
    client.get(f"/children/{world.amy}")
    client.get(f"/children/{world.amy}/reviews/new?service=slt")
    auth.logout()
    auth.login("admin@test.example")
    page = html.unescape(client.get(f"/admin/audit?user_id={world.slt}").text)
    assert "Sally SLT" in page and "Amy Able" in page
    assert "view child record" in page and "open review form" in page


def test_admin_views_of_a_child_are_audited_too(client, auth, world, db):
    auth.login("admin@test.example")
    client.get(f"/admin/children/{world.bob}")
    client.get(f"/children/{world.bob}")
    rows = db.execute(
        "SELECT user_id, action, detail FROM audit_log WHERE child_id = ?", [world.bob]
    ).fetchall()
    assert (world.admin, "view child record", "admin") in rows and (
        world.admin,
        "view child record",
        "",
    ) in rows


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"user_id": "SLT"}, {("submit review", "Bob Brown"), ("view child record", "Amy Able")}),
        ({"child": "AMY"}, {("view child record", "Amy Able"), ("discharge", "Amy Able")}),
        (
            {"date_from": "2025-02-01", "date_to": "2025-02-28"},
            {("submit review", "Bob Brown"), ("view child record", "Cat Cole")},
        ),
        ({"date_from": "2025-03-01"}, {("discharge", "Amy Able")}),
        ({"date_to": "2025-01-10"}, {("view child record", "Amy Able")}),
        ({"user_id": "SLT", "date_from": "01/02/2025"}, {("submit review", "Bob Brown")}),
    ],
)
def test_filters_by_user_child_and_date_range(trail, db, query, expected):
    ids = {"SLT": str(trail.slt), "AMY": str(trail.amy)}
    query = {key: ids.get(value, value) for key, value in query.items()}
    from outcomes.schemas import AuditFilterSchema

    data = AuditFilterSchema().load(query)
    rows = audit.entries(
        db,
        user_id=data["user_id"],
        child_id=int(data["child"]) if data["child"] else None,
        date_from=data["date_from"],
        date_to=data["date_to"],
    )
    assert {(row["action"], row["child_name"]) for row in rows} == expected


def test_audit_page_filters_and_downloads_the_same_rows_as_csv(client, auth, trail, db):
    auth.login("admin@test.example")
    query = f"child={trail.amy}&date_from=2025-01-01&date_to=2025-12-31"
    page = client.get(f"/admin/audit?{query}")
    assert page.status_code == 200 and "2 entries" in page.text
    assert "Download as CSV" in page.text and f"/admin/audit.csv?child={trail.amy}" in html.unescape(
        page.text
    )
    download = client.get(f"/admin/audit.csv?{query}")
    assert download.mimetype == "text/csv" and "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(row["action"], row["child_name"], row["user_email"]) for row in rows] == [
        ("discharge", "Amy Able", "admin@test.example"),
        ("view child record", "Amy Able", "slt@test.example"),
    ]
    assert list(rows[0]) == audit.AUDIT_COLUMNS


def test_child_filter_takes_an_nhs_number_or_local_id(client, auth, trail, db):
    db["children"].update(trail.cat, {"nhs_number": "9990000026", "local_id": "CAT-1"})
    auth.login("admin@test.example")
    for reference in ("9990000026", "999 000 0026", "CAT-1"):
        rows = list(csv.DictReader(io.StringIO(client.get(f"/admin/audit.csv?child={reference}").text)))
        assert {row["child_name"] for row in rows} == {"Cat Cole"}, reference


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date_from=2025-03-01&date_to=2025-02-01", "date_to", "before the start date"),
        ("date_from=yesterday", "date_from", "real date"),
        ("user_id=someone", "user_id", "Choose a person"),
        ("child=nobody", "child", "No child has that"),
    ],
)
def test_bad_filters_are_named_and_write_nothing(client, auth, trail, db, query, field, message):
    auth.login("admin@test.example")
    before = row_counts(db)
    page = client.get(f"/admin/audit?{query}")
    assert page.status_code == 422 and f'id="{field}-error"' in page.text and message in page.text
    assert client.get(f"/admin/audit.csv?{query}").status_code == 400
    assert row_counts(db) == before


def test_audit_page_pages_through_long_trails(client, auth, world, db):
    db["audit_log"].insert_all(
        {
            "user_id": world.slt,
            "action": "view child record",
            "child_id": world.amy,
            "at": f"2025-01-01T00:{n // 60:02d}:{n % 60:02d}.000Z",
        }
        for n in range(150)
    )
    auth.login("admin@test.example")
    first = client.get(f"/admin/audit?user_id={world.slt}")
    assert "150 entries, page 1 of 2" in first.text and "Older entries" in first.text
    second = client.get(f"/admin/audit?user_id={world.slt}&page=2")
    assert second.text.count("<td>view child record</td>") == 50


def test_csv_cells_cannot_run_as_spreadsheet_formulas(world, db):
    db["children"].update(world.amy, {"given_name": '=HYPERLINK("http://x")'})
    audit.record(db, world.admin, "view child record", world.amy, "@detail")
    out = io.StringIO()
    audit.write_csv(audit.entries(db, child_id=world.amy), out)
    row = list(csv.DictReader(io.StringIO(out.getvalue())))[0]
    assert row["child_name"].startswith("'=") and row["detail"] == "'@detail"
