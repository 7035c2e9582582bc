"""The feed answers a repeated pull from its cache and with 304 Not Modified while the figures stand,
and with new figures as soon as a write changes them."""

import gzip
from datetime import date

import pytest
from scorecard_data import build
from test_feed import FEED, bearer
from test_practitioner import SLT_DOMAINS

from outcomes import disclosure, periods, reviews, tokens
from outcomes.db import write_transaction
from outcomes.schemas import ReviewSchema
from outcomes.views.api import figures_version

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


def test_a_cached_answer_is_sent_gzipped_to_clients_that_take_it(client, token):
    plain = pull(client, token)
    for _ in range(2):  # the cached answer, kept gzipped: the same bytes each time
        zipped = client.get(FEED, query_string=QUARTER, headers={**bearer(token), "Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
        assert gzip.decompress(zipped.data) == plain.data and len(zipped.data) < len(plain.data)
    assert "Content-Encoding" not in pull(client, token).headers


def save(db, world, day, uuid):
    data = ReviewSchema().load(
        {
            "uuid": uuid,
            "child_id": world.bob,
            "service": "slt",
            "date": day.isoformat(),
            "readings": {key: 9 for key in SLT_DOMAINS},
            "submit": True,
        }
    )
    reviews.save_review(db, world.slt, data)


@pytest.fixture
def open_policy(client, monkeypatch):
    # One review more is a change the real policies would round away: here figures show as they are.
    monkeypatch.setitem(disclosure.POLICIES, "open", disclosure.Policy("open", 1, 1, secondary=False))
    client.application.config["DISCLOSURE_POLICY"] = "open"


def test_a_review_written_gives_new_figures(client, token, db, world, open_policy):
    first = pull(client, token)
    before = first.get_json()
    save(db, world, periods.parse(QUARTER["period"]).end, "0f8fad5b-d9cb-469f-a165-70867728950e")
    after = pull(client, token, first.headers["ETag"])
    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]
    assert after.get_json() != before
    assert pull(client, token, after.headers["ETag"]).status_code == 304


def test_a_review_after_the_financial_year_leaves_its_figures_cached(client, token, db, world, open_policy):
    first = pull(client, token)
    year_end = periods.year_containing(periods.parse(QUARTER["period"]).start).end
    # Today's review (the next financial year) cannot change 2025-26: the client's copy still stands.
    save(db, world, date.today(), "1f8fad5b-d9cb-469f-a165-70867728950e")
    assert date.today() > year_end
    again = pull(client, token, first.headers["ETag"])
    assert again.status_code == 304
    assert pull(client, token).get_json()["services"] == first.get_json()["services"]
    # ...while one dated inside the year does, and so does a later year's card for today's review.
    save(db, world, year_end, "2f8fad5b-d9cb-469f-a165-70867728950e")
    assert pull(client, token, first.headers["ETag"]).status_code == 200


# Every table the figures read, with the version a write to one of its rows must move.
READ_BY_FIGURES = [
    "reviews",
    "readings",
    "targets",
    "target_outcomes",
    "family_views",
    "caseloads",
    "children",
    "services",
    "stars",
    "star_versions",
    "domains",
    "stages",
    "service_intervals",
]


@pytest.mark.parametrize("table", READ_BY_FIGURES)
def test_every_write_the_figures_read_moves_the_version(db, token, table):
    assert db[table].count
    version = figures_version(db, date.max)
    column = db[table].columns[0].name  # readings has no rowid
    with write_transaction(db):
        db.execute(
            f"UPDATE {table} SET {column} = {column} WHERE {column} = (SELECT min({column}) FROM {table})"
        )
    assert figures_version(db, date.max) > version


def test_a_write_moves_the_version_of_its_own_date_onwards_only(db, token):
    review_id, day = db.execute("SELECT id, date FROM reviews ORDER BY date DESC LIMIT 1").fetchone()
    day = date.fromisoformat(day)
    before, on, after = (figures_version(db, date.fromordinal(day.toordinal() + d)) for d in (-1, 0, 1))
    with write_transaction(db):
        db.execute("UPDATE readings SET score = score WHERE review_id = ?", [review_id])
    assert figures_version(db, date.fromordinal(day.toordinal() - 1)) == before
    assert (
        figures_version(db, day) > on and figures_version(db, date.fromordinal(day.toordinal() + 1)) > after
    )


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
