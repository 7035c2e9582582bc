"""The practitioner's caseload at a whole service's size: her own children first, search by name,
sort by name or due date, "due in the next 4 weeks" and "overdue", and paging; plain links and a GET
form, so all of it works without JavaScript."""

import re
from datetime import date, timedelta

import pytest
from conftest import row_counts

from outcomes import children
from outcomes.rules import next_review

TODAY = date.today()


@pytest.fixture
def big(db, world):
    """60 more SLT children: 25 assigned to Sally, 25 to another practitioner, 10 to nobody yet;
    reviewed at staggered dates so that some are overdue, some due soon, some not due for months."""
    slt = world.services["slt"]
    other = (
        db["users"].insert({"email": "o@test.example", "name": "Olu Other", "role": "practitioner"}).last_pk
    )
    db["memberships"].insert({"user_id": other, "service_id": slt, "role": "practitioner"})
    made = []
    for number in range(60):
        child = (
            db["children"]
            .insert({"given_name": f"Kid{number:02d}", "family_name": "Zed", "date_of_birth": "2016-01-01"})
            .last_pk
        )
        owner = world.slt if number < 25 else other if number < 50 else None
        db["caseloads"].insert(
            {"child_id": child, "service_id": slt, "practitioner_id": owner, "started_on": "2024-01-01"}
        )
        last = TODAY - timedelta(days=100 + 3 * number)  # SLT's interval is 182 days
        db["reviews"].insert(
            {
                "uuid": f"big-{number}",
                "status": "submitted",
                "date": last.isoformat(),
                "child_id": child,
                "service_id": slt,
                "star_version_id": 1,
                "practitioner_id": world.slt,
                "content_hash": "",
            }
        )
        made.append({"id": child, "name": f"Kid{number:02d} Zed", "owner": owner, "last": last})
    return made


@pytest.fixture
def slt(client, auth, world):
    auth.login("slt@test.example")
    return client


def names(page):
    return re.findall(r'class="row-link" href="/children/\d+">([^<]+)</a>', page.text)


def every_page(client, url):
    """The names on every page, following the "Next page" links as a reader would."""
    seen = []
    while url:
        page = client.get(url)
        assert page.status_code == 200
        seen += names(page)
        found = re.search(r'<a href="([^"]+)">Next page</a>', page.text)
        url = found.group(1).replace("&amp;", "&") if found else None
    return seen


def test_her_own_children_come_first_and_the_whole_caseload_is_one_choice_away(slt, world, big):
    mine = every_page(slt, "/caseload")
    expected = {c["name"] for c in big if c["owner"] in (world.slt, None)} | {"Amy Able", "Bob Brown"}
    assert set(mine) == expected and len(mine) == len(expected)
    everyone = every_page(slt, "/caseload?scope=service")
    assert set(everyone) == {c["name"] for c in big} | {"Amy Able", "Bob Brown"}


def test_pages_hold_fifty_and_keep_the_filters(slt, big):
    first = slt.get("/caseload?scope=service&sort=name")
    assert len(names(first)) == 50 and "page 1 of 2" in first.text
    assert "scope=service" in re.search(r'<a href="([^"]+)">Next page</a>', first.text).group(1)
    second = slt.get("/caseload?scope=service&sort=name&page=2")
    assert len(names(second)) == 12 and "Previous page" in second.text
    past = slt.get("/caseload?scope=service&page=99")  # past the end: the last page
    assert past.status_code == 200 and "page 2 of 2" in past.text and names(past) == names(second)
    overdue_past = slt.get("/caseload?scope=service&show=overdue&sort=due&page=99")
    assert overdue_past.status_code == 200 and names(overdue_past)


def test_search_by_name(slt, big):
    page = slt.get("/caseload?scope=service&q=kid0")
    assert sorted(names(page)) == [f"Kid0{n} Zed" for n in range(10)]
    assert names(slt.get("/caseload?q=amy")) == ["Amy Able"]
    assert names(slt.get("/caseload?q=%25")) == []  # a wildcard typed is searched for, not obeyed


def test_sort_by_name_and_by_due_date(slt, big):
    by_name = every_page(slt, "/caseload?scope=service&sort=name")
    assert by_name == sorted(by_name, key=lambda n: (n.split()[1], n.split()[0]))
    by_due = every_page(slt, "/caseload?scope=service&sort=due")
    # Never reviewed (due now) first, then the earliest due: the longest since a review.
    assert by_due[:2] == ["Amy Able", "Bob Brown"]
    assert by_due[2:] == [c["name"] for c in sorted(big, key=lambda c: c["last"])]


def test_overdue_and_due_in_the_next_four_weeks_use_the_shared_rule(slt, big):
    due = {c["name"]: next_review(c["last"].isoformat(), 182, TODAY) for c in big}
    overdue = every_page(slt, "/caseload?scope=service&show=overdue")
    assert set(overdue) == {name for name, d in due.items() if d["overdue"]} and overdue
    soon = every_page(slt, "/caseload?scope=service&show=due_soon")
    within = TODAY + timedelta(days=28)
    expected = {n for n, d in due.items() if not d["overdue"] and d["next_due"] <= within.isoformat()}
    assert set(soon) == expected | {"Amy Able", "Bob Brown"} and expected
    page = slt.get("/caseload?scope=service&show=due_soon&sort=name")
    assert "Due soon" in page.text and "Overdue</span>" not in page.text


def test_bad_choices_are_named_and_change_nothing(slt, db, big):
    before = row_counts(db)
    page = slt.get("/caseload?page=zero&sort=shoe-size")
    assert page.status_code == 400
    assert "Give a page number from 1." in page.text and "Sort by due date or by name." in page.text
    assert names(page)  # the caseload is still shown, with the defaults
    after = row_counts(db)
    # Nothing is written but the audit of the children the page showed (a staff read); the
    # sign-in before it is audited too, before `before` was counted.
    shown = db.execute(
        "SELECT action, count(*) FROM audit_log WHERE action != 'sign in' GROUP BY action HAVING count(*) > 0"
    ).fetchall()
    assert shown == [("view caseload", len(names(page)))]
    after["audit_log"] -= len(names(page))
    assert after == before
    # The page's one query schema keeps nothing of a bad query string for the next one.
    again = slt.get("/caseload?scope=service&sort=name&page=2")
    assert again.status_code == 200 and "Give a page number" not in again.text and names(again)


def test_the_page_is_built_in_sql_for_one_page_only(db, world, big):
    query = {"q": "", "scope": "service", "show": "all", "sort": "name", "page": 2}
    listing = children.caseload_page(db, world.slt, world.services["slt"], query, page_size=25)
    assert (listing["total"], listing["pages"], listing["page"], len(listing["rows"])) == (62, 3, 2, 25)


def test_the_tablet_keeps_her_own_list_and_children_she_opened_recently(slt, world, big, db):
    others = [c for c in big if c["owner"] not in (world.slt, None)]
    assert slt.get(f"/children/{others[0]['id']}").status_code == 200  # she opens a colleague's child
    assert slt.get(f"/children/{others[1]['id']}").status_code == 200
    db.execute("UPDATE caseloads SET discharged_on = '2025-01-01' WHERE child_id = ?", [others[1]["id"]])
    db.conn.commit()
    bundle = slt.get("/api/v1/offline/bundle").json
    kept = {f"{c['given_name']} {c['family_name']}" for c in bundle["children"]}
    own = {c["name"] for c in big if c["owner"] in (world.slt, None)} | {"Amy Able", "Bob Brown"}
    # Not the service's 62: hers, plus the one opened who is still on the caseload.
    assert kept == own | {others[0]["name"]}


def test_each_row_shows_its_link_dates_and_tags(slt, db, world, big):
    """Never reviewed: "Now" with no tag; overdue and due soon tagged; a draft tagged."""
    not_due, soon, overdue = big[15], big[20], big[40]  # due in 37 days, in 22 days, 38 days ago
    db["reviews"].insert(
        {
            "uuid": "draft-1",
            "status": "draft",
            "date": TODAY.isoformat(),
            "child_id": not_due["id"],
            "service_id": world.services["slt"],
            "star_version_id": 1,
            "practitioner_id": world.slt,
            "content_hash": "",
        }
    )
    db.conn.commit()
    page = slt.get("/caseload?scope=service&sort=due").text
    rows = {
        re.search(r'class="row-link" href="[^"]+">([^<]+)</a>', tr).group(1): tr
        for tr in re.findall(r"<tr>.*?</tr>", page, re.S)[1:]
    }

    def cell(day):
        return f'<time datetime="{day.isoformat()}">{day.day} {day:%B} {day.year}</time>'

    amy = rows["Amy Able"]
    assert f'href="/children/{world.amy}"' in amy and "tag" not in amy
    assert "<td>Not yet reviewed</td>" in amy and "<td>Now</td>" in amy and "1 May 2016" in amy
    for child, tag in (
        (not_due, ""),
        (soon, ' <span class="tag">Due soon</span>'),
        (overdue, ' <span class="tag tag-warning">Overdue</span>'),
    ):
        row = rows[child["name"]]
        assert f'href="/children/{child["id"]}"' in row
        assert f"<td>{cell(child['last'])}</td>" in row
        assert f"<td>{cell(child['last'] + timedelta(days=182))}{tag}</td>" in row
        assert ('<span class="tag">Draft</span>' in row) == (child is not_due)


def test_rebuild_facts_puts_right_last_review_dates_changed_by_hand(runner, slt, db, big):
    url = "/caseload?scope=service&sort=due"
    before = every_page(slt, url)
    db.execute("UPDATE caseload_last_reviews SET last_review = NULL")  # say, a restored old file
    db.conn.commit()
    assert every_page(slt, url) != before
    result = runner.invoke(args=["rebuild-facts"])
    assert result.exit_code == 0, result.output
    assert every_page(slt, url) == before
