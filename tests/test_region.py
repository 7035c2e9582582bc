"""The regional view: two member areas started here as real processes on 127.0.0.1, their feeds
pulled by `flask --app outcomes pull-feeds` and compared side by side; one stopped mid-pull."""

import re
import socket
import threading

import pytest
from conftest import PASSWORD_HASH, Auth, row_counts
from region_members import Member

from outcomes import create_app, region, users
from outcomes.db import connect


@pytest.fixture
def members(tmp_path):
    started = []
    try:
        started.append(Member(tmp_path, "north", "North Borough", "nhs"))
        started.append(Member(tmp_path, "south", "South Shire", "threshold5"))
        yield started
    finally:
        for member in started:
            member.stop()


def region_app(tmp_path, areas, **extra):
    config = {
        "TESTING": True,
        "DATABASE": str(tmp_path / "region.sqlite"),
        "SECRET_KEY": "test",
        "REGION_AREAS": areas,
        "REGION_FEED_TIMEOUT": 10,
        "REGION_QUARTERS": 4,
        **extra,
    }
    return create_app(config)


def stored(db, area):
    return {
        (r["period"], r["service"], r["measure"]): (r["value"], r["suppressed"], r["reason"])
        for r in db.query("SELECT * FROM region_figures WHERE area = ?", [area])
    }


def status(db, area):
    return db.execute(
        "SELECT last_success_at, last_error FROM region_pulls WHERE area = ?", [area]
    ).fetchone()


def page(client):
    response = client.get("/region/", query_string={"measure": "reviews"})
    assert response.status_code == 200
    return response.text


def test_a_region_pulls_two_areas_keeps_their_suppression_and_marks_one_stopped_mid_pull(tmp_path, members):
    north, south = members
    app = region_app(tmp_path, [north.area(), south.area()])
    db = connect(app.config["DATABASE"])
    users.create_user(db, "manager@region.example", "Rae Region", "manager", password_hash=PASSWORD_HASH)

    result = app.test_cli_runner().invoke(args=["pull-feeds"])
    assert result.exit_code == 0, result.output
    assert "north: updated" in result.output and "south: updated" in result.output
    quarters = [q.label for q in region.recent_quarters(region.periods.uk_today(), 4)]

    # What is stored is exactly what each feed published: shown figures with their value, withheld
    # ones as withheld with no value. North's NHS policy withholds some; the region never has them.
    for member in members:
        figures = stored(db, member.key)
        withheld = 0
        for label in quarters:
            for service in member.feed(label)["services"]:
                for measure, figure in service["measures"].items():
                    value, suppressed, reason = figures[(label, service["key"], measure)]
                    assert suppressed == int(figure["suppressed"]) and reason == figure["reason"]
                    assert value == figure["value"]
                    withheld += figure["suppressed"]
        assert len(figures) == len(quarters) * 4 * len(region.MEASURE_NAMES)
        if member.key == "north":
            assert withheld > 0
    assert (
        db.execute(
            "SELECT count(*) FROM region_figures WHERE suppressed = 1 AND value IS NOT NULL"
        ).fetchone()[0]
        == 0
    )

    client = app.test_client()
    Auth(client).login("manager@region.example")
    html = page(client)
    assert "North Borough" in html and "South Shire" in html and "not updated" not in html.lower()
    assert "withheld" in html
    first_south = stored(db, "south")
    first_success = status(db, "south")[0]

    # Second pull: south's instance is stopped after it has answered its first quarter.
    def stop_south_after_its_first_quarter(area, quarter):
        if area["key"] == "south" and quarter.label == quarters[0]:
            south.stop()

    results = region.pull(
        db,
        region.areas(app.config),
        region.recent_quarters(region.periods.uk_today(), 4),
        5,
        progress=stop_south_after_its_first_quarter,
    )
    assert results["north"] is None and "could not reach the feed" in results["south"]
    # South keeps its last good figures, none from the half-finished pull; its last success stays.
    assert stored(db, "south") == first_south
    assert status(db, "south") == (first_success, results["south"])
    assert status(db, "north")[1] is None

    html = page(client)
    assert "Not updated: the feed could not be fetched" in html
    assert f"(not updated: last pull {first_success})" in html
    assert html.count("feed-failed") == 1 and 'data-area="south" class="feed-failed"' in html

    # The command says so too, and exits 1 for the scheduler.
    result = app.test_cli_runner().invoke(args=["pull-feeds"])
    assert result.exit_code == 1
    assert "north: updated" in result.output and "south: NOT UPDATED" in result.output
    db.close()


def test_a_feed_that_never_answers_times_out_and_is_marked(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    area = {
        "key": "silent",
        "name": "Silent",
        "feed_url": f"http://127.0.0.1:{listener.getsockname()[1]}/api/v1/scorecard",
        "token": "t",
    }
    app = region_app(tmp_path, [area])
    db = connect(app.config["DATABASE"])
    try:
        results = region.pull(
            db, region.areas(app.config), region.recent_quarters(region.periods.uk_today(), 1), 0.5
        )
    finally:
        listener.close()
        for conn, _ in accepted:
            conn.close()
    assert "timed out" in results["silent"]
    assert status(db, "silent")[1] == results["silent"]
    assert db["region_figures"].count == 0
    db.close()


@pytest.mark.parametrize(
    ("areas", "message"),
    [
        ([{"key": "North!", "feed_url": "http://x", "token": "t"}], "REGION_AREAS[0]: give a unique key"),
        ([{"key": "n", "feed_url": "ftp://x", "token": "t"}], "REGION_AREAS[0]: feed_url"),
        ([{"key": "n", "feed_url": "http://x", "token": ""}], "REGION_AREAS[0]: give the token"),
        (
            [
                {"key": "n", "feed_url": "http://x", "token": "t"},
                {"key": "n", "feed_url": "http://y", "token": "u"},
            ],
            "REGION_AREAS[1]: give a unique key",
        ),
        (["north"], "REGION_AREAS[0]: give a dict"),
    ],
)
def test_a_malformed_list_of_areas_stops_the_app_saying_which_entry(tmp_path, areas, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        region_app(tmp_path, areas)


def test_pull_feeds_on_an_instance_that_is_not_a_region_says_so_and_writes_nothing(tmp_path):
    app = region_app(tmp_path, [])
    db = connect(app.config["DATABASE"])
    before = row_counts(db)
    result = app.test_cli_runner().invoke(args=["pull-feeds"])
    assert result.exit_code == 1 and "not a region" in result.output
    assert row_counts(db) == before
    db.close()


def test_the_page_on_an_instance_that_is_not_a_region_says_how(client, auth, world):
    auth.login("manager@test.example")
    response = client.get("/region/")
    assert response.status_code == 200 and "not set up as a region" in response.text


def test_an_unknown_measure_is_400_naming_it(client, auth, world):
    auth.login("manager@test.example")
    response = client.get("/region/", query_string={"measure": "children_named"})
    assert response.status_code == 400 and "Choose one of the scorecard&#39;s measures" in response.text
