"""The feed answers a repeated pull from its cache and with 304 Not Modified while the figures stand,
and with new figures as soon as a write changes them."""

import pytest
from scorecard_data import build
from test_feed import FEED, bearer
from test_practitioner import SLT_DOMAINS

from outcomes import disclosure, periods, reviews, tokens
from outcomes.db import write_transaction
from outcomes.schemas import ReviewSchema

QUARTER = {"period": "2025-26 Q4"}


@pytest.fixture
def token(db, world):
    build(db, world)
    return tokens.create_token(db, "BI tool")


def pull(client, token, etag=None, **query):
    headers = bearer(token)
    if etag:
        headers["If-None-Match"] = etag
    return client.get(FEED, query_string={**QUARTER, **query}, headers=headers)


def test_unchanged_figures_are_304_with_no_body(client, token):
    first = pull(client, token)
    assert first.status_code == 200 and first.headers["ETag"]
    assert "no-store" not in first.headers["Cache-Control"]
    again = pull(client, token, first.headers["ETag"])
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == first.headers["ETag"]
    # Another question is another answer: a year, one service, or the CSV.
    for query in ({"period": "2025-26"}, {"service": "slt"}, {"format": "csv"}):
        other = pull(client, token, first.headers["ETag"], **query)
        assert other.status_code == 200 and other.headers["ETag"] != first.headers["ETag"]


def test_a_review_written_gives_new_figures(client, token, db, world, monkeypatch):
    # One review more is a change the real policies would round away: here figures show as they are.
    monkeypatch.setitem(disclosure.POLICIES, "open", disclosure.Policy("open", 1, 1, secondary=False))
    client.application.config["DISCLOSURE_POLICY"] = "open"
    first = pull(client, token)
    before = first.get_json()
    data = ReviewSchema().load(
        {
            "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "child_id": world.bob,
            "service": "slt",
            "date": periods.parse(QUARTER["period"]).end.isoformat(),
            "readings": {key: 9 for key in SLT_DOMAINS},
            "submit": True,
        }
    )
    reviews.save_review(db, world.slt, data)
    after = pull(client, token, first.headers["ETag"])
    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]
    assert after.get_json() != before
    assert pull(client, token, after.headers["ETag"]).status_code == 304


@pytest.mark.parametrize("table", ["reviews", "target_outcomes", "family_views", "caseloads", "services"])
def test_every_write_the_figures_read_moves_the_version(db, token, table):
    assert db[table].count
    version = db.execute("SELECT n FROM data_version").fetchone()[0]
    with write_transaction(db):
        db.execute(f"UPDATE {table} SET rowid = rowid WHERE rowid = (SELECT min(rowid) FROM {table})")
    assert db.execute("SELECT n FROM data_version").fetchone()[0] > version


def test_a_quarter_asked_after_a_write_has_the_write_though_its_year_was_kept(
    client, token, db, world, monkeypatch
):
    # The year behind a quarter is kept; Q3 asked first keeps 2025-26, then a review in Q4 is written.
    monkeypatch.setitem(disclosure.POLICIES, "open", disclosure.Policy("open", 1, 1, secondary=False))
    client.application.config["DISCLOSURE_POLICY"] = "open"
    assert pull(client, token, period="2025-26 Q3").status_code == 200
    before = pull(client, token, period="2025-26 Q4").get_json()["services"][0]["measures"]["reviews"][
        "value"
    ]
    data = ReviewSchema().load(
        {
            "uuid": "1f8fad5b-d9cb-469f-a165-70867728950e",
            "child_id": world.bob,
            "service": "slt",
            "date": "2026-03-30",
            "readings": {key: 9 for key in SLT_DOMAINS},
            "submit": True,
        }
    )
    reviews.save_review(db, world.slt, data)
    # Q4 once more, spelt differently so that the feed's own cache cannot answer it.
    after = pull(client, token, period="2025-26 Q4", format="json").get_json()
    assert after["services"][0]["measures"]["reviews"]["value"] == before + 1
