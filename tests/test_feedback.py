"""What families said: FFT free text per service and period, for the service's practitioners and
managers, never with a child's or a parent's name, never in the feed."""

import uuid
from datetime import date

import pytest

from outcomes import reviews, stars, tokens, users

QUARTER = "2025-26 Q4"


@pytest.fixture
def said(db, world):
    review = _save(db, world, world.slt, "slt", "2026-01-10")
    physio = _save(db, world, world.physio, "physio", "2026-01-11")
    rows = [
        (review, "2026-01-12 10:00:00", "good", "Kind and patient", "Shorter waits"),
        (review, "2025-12-20 10:00:00", "very_good", "Last quarter's praise", ""),
        (physio, "2026-01-13 10:00:00", "poor", "", "Physio parking"),
    ]
    for number, (row, created, answer, good, better) in enumerate(rows):
        db["family_views"].insert(
            {
                "review_id": row["id"],
                "user_id": world.family if number == 0 else _parent(db, number),
                "fft_answer": answer,
                "what_was_good": good,
                "could_be_better": better,
                "created_at": created,
            }
        )


def _save(db, world, user, service, day):
    star = stars.load_version(db, stars.current_version_id(db, world.services[service]))
    data = {
        "uuid": uuid.uuid4(),
        "child_id": world.amy,
        "service": service,
        "date": date.fromisoformat(day),
        "readings": {d["key"]: {"score": 4, "not_assessed_reason": None} for d in star["domains"]},
        "targets": [],
        "target_outcomes": [],
        "notes": "",
        "internal_notes": "",
        "submit": True,
    }
    return reviews.save_review(db, user, data)[0]


def _parent(db, number):
    return users.create_user(db, f"p{number}@test.example", f"Parent {number}", "family", password_hash="x")


def test_a_practitioner_reads_her_services_comments_unnamed(client, auth, said):
    auth.login("slt@test.example")
    page = client.get("/feedback/", query_string={"period": QUARTER})
    assert page.status_code == 200
    assert "Kind and patient" in page.text and "Shorter waits" in page.text
    assert '<th scope="row">Good</th>' in page.text
    for hidden in ("Amy", "Able", "Pat Parent", "2026-01-12", "Last quarter&#39;s praise", "Physio parking"):
        assert hidden not in page.text


def test_the_manager_reads_them_too_and_others_do_not(client, auth, said):
    auth.login("manager@test.example")
    assert "Kind and patient" in client.get("/feedback/", query_string={"period": QUARTER}).text
    auth.logout()
    auth.login("physio@test.example")
    page = client.get("/feedback/", query_string={"period": QUARTER})
    assert "Physio parking" in page.text and "Kind and patient" not in page.text
    assert client.get("/feedback/", query_string={"period": QUARTER, "service": "slt"}).status_code == 404
    auth.logout()
    for email in ("family@test.example", "admin@test.example"):
        auth.login(email)
        assert client.get("/feedback/").status_code == 403
        auth.logout()


def test_a_bad_period_is_refused_with_a_message(client, auth, said):
    auth.login("slt@test.example")
    page = client.get("/feedback/", query_string={"period": "2025-26 Q5"})
    assert page.status_code == 400 and "financial quarter such as" in page.text


def test_the_free_text_never_reaches_the_feed(client, db, said):
    token = tokens.create_token(db, "feed")
    headers = {"Authorization": f"Bearer {token}"}
    for query in ({"period": QUARTER}, {"period": QUARTER, "format": "csv"}):
        body = client.get("/api/v1/scorecard", query_string=query, headers=headers).text
        assert "Kind and patient" not in body and "Shorter waits" not in body
