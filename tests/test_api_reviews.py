"""POST /api/v1/reviews: storing a review once per UUID, and refusing bad input whole."""

import contextlib
import threading
import uuid
from datetime import date, timedelta

import pytest
from conftest import Auth, row_counts
from marshmallow import ValidationError

from outcomes.db import connect

SLT_DOMAINS = [
    "attention",
    "understanding",
    "talking",
    "speech_sounds",
    "social_communication",
    "eating_drinking",
]


def review_body(child_id, **overrides):
    body = {
        "uuid": str(uuid.uuid4()),
        "child_id": child_id,
        "service": "slt",
        "date": date.today().isoformat(),
        "readings": {key: 3 + index % 4 for index, key in enumerate(SLT_DOMAINS)},
        "targets": [
            {"domain": "talking", "description": "Uses two-word phrases at snack time.", "target_score": 6}
        ],
        "target_outcomes": [],
        "notes": "Seen at nursery.",
        "submit": True,
    }
    body.update(overrides)
    return body


def stream_body(child_id, days):
    """A review for a stream of many: each on its own earlier day (one review per child, service and
    day) and setting no target (one open target per domain). `days` is the stream's itertools.count()."""
    return review_body(child_id, date=(date.today() - timedelta(days=next(days))).isoformat(), targets=[])


@pytest.fixture
def slt_client(client, auth, world):
    auth.login("slt@test.example")
    return client


def post(client, auth, body):
    return client.post("/api/v1/reviews", json=body, headers=auth.headers())


def test_new_review_is_stored_with_its_readings_and_targets(slt_client, auth, world, db):
    body = review_body(world.amy)
    response = post(slt_client, auth, body)
    assert response.status_code == 201
    stored = response.get_json()
    assert stored["uuid"] == body["uuid"]
    assert stored["status"] == "submitted"
    assert stored["readings"] == body["readings"]
    assert [t["description"] for t in stored["targets"]] == ["Uses two-word phrases at snack time."]
    # Due date defaults to the next review date: the review date + the service's 182 days.
    assert stored["targets"][0]["due_date"] == (date.today() + timedelta(days=182)).isoformat()
    assert db["readings"].count == 6


def test_same_review_sent_twice_is_stored_once(slt_client, auth, world, db):
    body = review_body(world.amy)
    first = post(slt_client, auth, body)
    again = post(slt_client, auth, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert db["reviews"].count == 1 and db["targets"].count == 1


def test_same_uuid_with_different_content_is_a_conflict(slt_client, auth, world, db):
    body = review_body(world.amy)
    post(slt_client, auth, body)
    before = row_counts(db)
    changed = dict(body, notes="Something else entirely.")
    response = post(slt_client, auth, changed)
    assert response.status_code == 409
    assert "UUID" in response.get_json()["error"]
    assert row_counts(db) == before


def test_a_draft_can_be_saved_then_submitted_under_the_same_uuid(slt_client, auth, world, db):
    body = review_body(world.amy, submit=False, notes="First thoughts")
    assert post(slt_client, auth, body).get_json()["status"] == "draft"
    final = post(slt_client, auth, dict(body, submit=True, notes="Final notes"))
    assert final.status_code == 200
    assert final.get_json()["status"] == "submitted"
    assert db["reviews"].count == 1
    assert db.execute("SELECT notes FROM reviews").fetchone()[0] == "Final notes"
    assert db["readings"].count == 6 and db["targets"].count == 1


def test_concurrent_sends_of_one_review_store_one_copy(world, app):
    """Two threads with their own sessions send the same review at once: one row."""
    body = review_body(world.amy)
    results = []

    def send():
        client = app.test_client()
        helper = Auth(client)
        helper.login("slt@test.example")
        barrier.wait()
        results.append(client.post("/api/v1/reviews", json=body, headers=helper.headers()).status_code)

    barrier = threading.Barrier(4)
    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 200, 200, 201]
    database = connect(app.config["DATABASE"])
    assert database.execute("SELECT count(*) FROM reviews WHERE uuid = ?", [body["uuid"]]).fetchone()[0] == 1
    assert database["readings"].count == 6
    database.close()


def _not_assessed_missing_reason(body):
    body["readings"]["talking"] = {"not_assessed": ""}


def _missing_domain(body):
    del body["readings"]["talking"]


BAD_INPUTS = [
    ("readings.talking", {"readings": {**{k: 5 for k in SLT_DOMAINS}, "talking": 0}}, "from 1 to 10"),
    ("readings.talking", {"readings": {**{k: 5 for k in SLT_DOMAINS}, "talking": 11}}, "from 1 to 10"),
    ("readings.talking", {"readings": {**{k: 5 for k in SLT_DOMAINS}, "talking": "seven"}}, "whole number"),
    (
        "readings.talking",
        {"readings": {k: 5 for k in SLT_DOMAINS if k != "talking"}},
        "Give a reading or mark it not assessed",
    ),
    (
        "readings.talking",
        {"readings": {**{k: 5 for k in SLT_DOMAINS}, "talking": {"not_assessed": " "}}},
        "Say why",
    ),
    ("readings.juggling", {"readings": {**{k: 5 for k in SLT_DOMAINS}, "juggling": 5}}, "Unknown domain"),
    ("date", {"date": (date.today() + timedelta(days=1)).isoformat()}, "future"),
    ("date", {"date": "31/02/2025"}, "Not a valid date"),
    (
        "targets.0.target_score",
        {"targets": [{"domain": "talking", "description": "Says more.", "target_score": 12}]},
        "from 1 to 10",
    ),
    (
        "targets.0.domain",
        {"targets": [{"domain": "flying", "description": "Says more.", "target_score": 6}]},
        "Unknown domain",
    ),
    ("notes", {"notes": "x" * 10_001}, "Longer than maximum length"),
    ("uuid", {"uuid": "not-a-uuid"}, "Not a valid UUID"),
    ("service", {"service": "astrology"}, "Unknown service"),
    ("readings", {"readings": [5, 5, 5]}, "Give a reading for each domain"),
    ("submit", {"submit": "perhaps"}, "Not a valid boolean"),
    ("colour", {"colour": "blue"}, "Unknown field"),
]


@pytest.mark.parametrize(("field", "change", "message"), BAD_INPUTS)
def test_bad_input_names_the_field_and_changes_nothing(slt_client, auth, world, db, field, change, message):
    before = row_counts(db)
    response = post(slt_client, auth, review_body(world.amy, **change))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert row_counts(db) == before


def test_child_not_on_the_caseload_is_refused(slt_client, auth, world, db):
    before = row_counts(db)
    response = post(slt_client, auth, review_body(world.cat))  # Cat is on physio's caseload only
    assert response.status_code == 422
    assert "not on your Speech and Language Therapy caseload" in response.get_json()["errors"]["child_id"][0]
    assert row_counts(db) == before


def test_outcome_for_another_childs_target_is_refused(slt_client, auth, world, db):
    bobs = post(slt_client, auth, review_body(world.bob, date="2025-01-10")).get_json()
    bobs_target = bobs["targets"][0]["id"]
    before = row_counts(db)
    body = review_body(world.amy, target_outcomes=[{"target_id": bobs_target, "outcome": "met"}])
    response = post(slt_client, auth, body)
    assert response.status_code == 422
    assert (
        "not an open target of this child" in response.get_json()["errors"]["target_outcomes.0.target_id"][0]
    )
    assert row_counts(db) == before


def test_withdrawn_outcome_needs_a_reason(slt_client, auth, world, db):
    first = post(slt_client, auth, review_body(world.amy, date="2025-01-10")).get_json()
    before = row_counts(db)
    body = review_body(
        world.amy, target_outcomes=[{"target_id": first["targets"][0]["id"], "outcome": "withdrawn"}]
    )
    response = post(slt_client, auth, body)
    assert response.status_code == 422
    assert "target_outcomes.0.reason" in response.get_json()["errors"]
    assert row_counts(db) == before


def test_closing_a_target_at_the_next_review(slt_client, auth, world, db):
    first = post(slt_client, auth, review_body(world.amy, date="2025-01-10")).get_json()
    target = first["targets"][0]
    readings = dict(first["readings"], talking=6)
    second = post(
        slt_client,
        auth,
        review_body(
            world.amy,
            readings=readings,
            targets=[],
            target_outcomes=[{"target_id": target["id"], "outcome": "met"}],
        ),
    )
    assert second.status_code == 201
    row = db.execute(
        "SELECT outcome, score_at_close FROM target_outcomes WHERE target_id = ?", [target["id"]]
    ).fetchone()
    assert row == ("met", 6)
    # A closed target cannot be closed again.
    again = post(
        slt_client,
        auth,
        review_body(
            world.amy,
            date=(date.today() - timedelta(days=1)).isoformat(),
            targets=[],
            target_outcomes=[{"target_id": target["id"], "outcome": "not_met"}],
        ),
    )
    assert again.status_code == 422
    assert "not an open target" in again.get_json()["errors"]["target_outcomes.0.target_id"][0]


def test_json_body_that_is_not_an_object_is_a_400(slt_client, auth):
    response = slt_client.post(
        "/api/v1/reviews", data="[1,2]", content_type="application/json", headers=auth.headers()
    )
    assert response.status_code == 400
    assert "JSON object" in response.get_json()["error"]


def test_signed_out_caller_gets_401_json(client, world, db):
    before = row_counts(db)
    response = client.post("/api/v1/reviews", json=review_body(world.amy))
    assert response.status_code == 401
    assert "Sign in" in response.get_json()["error"]
    assert row_counts(db) == before


def test_signed_out_caller_with_token_gets_401(client, world, auth):
    headers = {"X-CSRFToken": auth.csrf()}
    response = client.post("/api/v1/reviews", json=review_body(world.amy), headers=headers)
    assert response.status_code == 401


def test_json_call_without_csrf_header_is_refused(slt_client, world, db):
    before = row_counts(db)
    response = slt_client.post("/api/v1/reviews", json=review_body(world.amy))
    assert response.status_code == 400
    assert "expired" in response.get_json()["error"]
    assert row_counts(db) == before


@pytest.mark.parametrize("email", ["family@test.example", "manager@test.example", "admin@test.example"])
def test_only_practitioners_record_reviews(client, auth, world, db, email):
    auth.login(email)
    before = row_counts(db)
    response = client.post("/api/v1/reviews", json=review_body(world.amy), headers=auth.headers())
    assert response.status_code == 403
    assert row_counts(db) == before


def test_app_uses_wal_and_foreign_keys(db, app):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


# --- Checked before the write lock, and again under it for what another writer can change ------


def _review_of(world, child, when):
    readings = {key: {"score": 5, "not_assessed_reason": None} for key in world.domains["slt"]}
    return {
        "uuid": uuid.uuid4(),
        "child_id": child,
        "service": "slt",
        "date": when,
        "readings": readings,
        "targets": [],
        "target_outcomes": [],
        "notes": "",
        "internal_notes": "",
        "submit": True,
    }


@pytest.mark.parametrize("meanwhile", ["same day review", "discharged"])
def test_what_another_writer_changes_between_the_check_and_the_write_lock_is_checked_again(
    monkeypatch, meanwhile
):
    """A review is checked before the write lock is taken; a review of the same child and day stored,
    or the child discharged, by another request in between is still refused, and nothing is written."""
    from test_facts import World

    from outcomes import facts, reviews

    world = World()
    db, child, when = world.db, world.children[0], date.today() - timedelta(days=1)
    other = connect(db.conn.execute("PRAGMA database_list").fetchone()[2])
    plain, done = facts.deferred, []

    @contextlib.contextmanager
    def after_another_writer(target):
        if not done:  # once: the other request's own write goes straight through
            done.append(1)
            if meanwhile == "same day review":
                reviews.save_review(other, world.staff, _review_of(world, child, when))
            else:
                other.execute(
                    "UPDATE caseloads SET discharged_on = ? WHERE child_id = ?", [when.isoformat(), child]
                )
                other.conn.commit()
        with plain(target):
            yield target

    monkeypatch.setattr(facts, "deferred", after_another_writer)
    before = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
    expected = reviews.AlreadyRecorded if meanwhile == "same day review" else ValidationError
    with pytest.raises(expected):
        reviews.save_review(db, world.staff, _review_of(world, child, when))
    assert done  # the other writer did come in between
    after = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
    assert after == before + (1 if meanwhile == "same day review" else 0)
    assert not db.conn.in_transaction
    other.close()
    db.close()


def test_the_same_review_stored_by_another_request_during_its_check_is_a_resend_not_a_409(monkeypatch):
    """The same review sent twice at once (a replay from two tabs): if the other copy is stored after
    this one looked its UUID up but before it checked the day, it is answered as a re-send (200 with
    the stored review), never refused as a second review of the day."""
    from test_facts import World

    from outcomes import reviews

    world = World()
    db, child, when = world.db, world.children[0], date.today() - timedelta(days=1)
    other = connect(db.conn.execute("PRAGMA database_list").fetchone()[2])
    body, plain, done = _review_of(world, child, when), reviews.check_review, []

    def other_copy_stored_first(*args, **kwargs):
        if not done:
            done.append(1)
            reviews.save_review(other, world.staff, dict(body))
        return plain(*args, **kwargs)

    monkeypatch.setattr(reviews, "check_review", other_copy_stored_first)
    stored, created = reviews.save_review(db, world.staff, dict(body))
    assert done and created is False and stored["uuid"] == str(body["uuid"])
    assert db.execute("SELECT count(*) FROM reviews WHERE uuid = ?", [str(body["uuid"])]).fetchone()[0] == 1
    assert not db.conn.in_transaction
    other.close()
    db.close()


def test_a_refused_review_or_a_resend_never_queues_for_the_write_lock():
    from test_facts import World

    from outcomes import reviews

    world = World()
    db, child, when = world.db, world.children[0], date.today() - timedelta(days=1)
    first = _review_of(world, child, when)
    reviews.save_review(db, world.staff, first)
    seen = []
    db.conn.set_trace_callback(seen.append)
    try:
        with pytest.raises(reviews.AlreadyRecorded):
            reviews.save_review(db, world.staff, _review_of(world, child, when))
        assert reviews.save_review(db, world.staff, first)[1] is False  # the same review sent again
    finally:
        db.conn.set_trace_callback(None)
    assert seen and not [s for s in seen if s.startswith("BEGIN IMMEDIATE")], seen
    db.close()
