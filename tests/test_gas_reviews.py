"""Closing a target at a goal attainment level, and weighting a target, through the form and the API."""

from datetime import date, timedelta

import pytest
from conftest import row_counts
from test_api_reviews import SLT_DOMAINS, post, review_body
from test_practitioner import fill, form_for

EARLIER = (date.today() - timedelta(days=200)).isoformat()


@pytest.fixture
def slt(client, auth, world):
    auth.login("slt@test.example")
    return client


def _open_target(slt, auth, world, **target):
    body = review_body(
        world.amy,
        date=EARLIER,
        targets=[{"domain": "talking", "description": "Uses two-word phrases.", "target_score": 6, **target}],
    )
    response = post(slt, auth, body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["targets"][0]


def test_a_target_closed_at_plus_one_is_met_at_that_level(slt, auth, world, db):
    target = _open_target(slt, auth, world)
    body = review_body(world.amy, targets=[], target_outcomes=[{"target_id": target["id"], "gas_level": 1}])
    response = post(slt, auth, body)
    assert response.status_code == 201
    assert response.get_json()["target_outcomes"][0] == {
        "target_id": target["id"],
        "outcome": "met",
        "gas_level": 1,
        "reason": None,
    }
    assert db.execute("SELECT outcome, gas_level FROM target_outcomes").fetchone() == ("met", 1)


def test_weights_are_kept_with_the_target(slt, auth, world, db):
    target = _open_target(slt, auth, world, importance=3, difficulty=2)
    assert (target["importance"], target["difficulty"]) == (3, 2)
    assert db.execute("SELECT importance, difficulty FROM targets").fetchone() == (3, 2)


@pytest.mark.parametrize(
    "closing, field, words",
    [
        ({"gas_level": 3}, "gas_level", "from \u22122"),
        ({"gas_level": "1"}, "gas_level", "from \u22122"),
        ({"gas_level": -1, "outcome": "met"}, "gas_level", "means partly met, not met"),
        ({"gas_level": 0, "outcome": "withdrawn", "reason": "Moved"}, "gas_level", "no attainment level"),
        ({}, "gas_level", "Choose the level"),
    ],
)
def test_a_bad_level_is_named_and_nothing_is_saved(slt, auth, world, db, closing, field, words):
    target = _open_target(slt, auth, world)
    before = row_counts(db)
    body = review_body(world.amy, targets=[], target_outcomes=[{"target_id": target["id"], **closing}])
    response = post(slt, auth, body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert words in errors[f"target_outcomes.0.{field}"][0]
    assert row_counts(db) == before


@pytest.mark.parametrize("weights", [{"importance": 4}, {"difficulty": 0}, {"importance": "high"}])
def test_a_bad_weight_is_named_and_nothing_is_saved(slt, auth, world, db, weights):
    before = row_counts(db)
    target = {"domain": "talking", "description": "Uses two-word phrases.", "target_score": 6, **weights}
    response = post(slt, auth, review_body(world.amy, targets=[target]))
    assert response.status_code == 422
    [(name, _)] = weights.items()
    assert "from 1 to 3" in response.get_json()["errors"][f"targets.0.{name}"][0]
    assert row_counts(db) == before


def test_the_form_suggests_a_level_and_stores_the_one_chosen_with_weights(slt, auth, world, db):
    target = _open_target(slt, auth, world)
    path = f"/children/{world.amy}/reviews/new?service=slt"
    scores = {key: 7 if key == "talking" else 4 for key in SLT_DOMAINS}
    fields = form_for(slt, path)
    # talking reads 7, one beyond its target of 6: +1 is suggested once the reading is entered.
    shown = slt.post(path, data=fill(fields, scores, action="draft"))
    page = slt.get(shown.location).text
    assert f'id="outcome-{target["id"]}"' in page and '<option value="1" selected>' in page
    data = fill(
        form_for(slt, shown.location),
        scores,
        action="submit",
        **{
            f"outcome-{target['id']}": "2",
            "target-0-domain": "attention",
            "target-0-description": "Listens to a whole story.",
            "target-0-target_score": "6",
            "target-0-importance": "2",
            "target-0-difficulty": "3",
        },
    )
    assert slt.post(shown.location, data=data).status_code == 302
    assert db.execute("SELECT outcome, gas_level FROM target_outcomes").fetchone() == ("met", 2)
    assert db.execute(
        "SELECT importance, difficulty FROM targets WHERE description = 'Listens to a whole story.'"
    ).fetchone() == (2, 3)


def test_the_form_names_a_bad_weight_and_saves_nothing(slt, auth, world, db):
    path = f"/children/{world.amy}/reviews/new?service=slt"
    data = fill(
        form_for(slt, path),
        {key: 4 for key in SLT_DOMAINS},
        action="submit",
        **{
            "target-0-domain": "attention",
            "target-0-description": "Listens to a whole story.",
            "target-0-target_score": "6",
            "target-0-importance": "9",
        },
    )
    before = row_counts(db)
    response = slt.post(path, data=data)
    assert response.status_code == 422
    assert (
        "New target 1: importance" in response.text and "Choose the importance from 1 to 3" in response.text
    )
    assert row_counts(db) == before


def test_the_review_page_shows_the_level_and_a_withdrawn_review_reopens_without_one(slt, auth, world, db):
    target = _open_target(slt, auth, world)
    body = review_body(world.amy, targets=[], target_outcomes=[{"target_id": target["id"], "gas_level": 2}])
    closing = post(slt, auth, body).get_json()
    page = slt.get(f"/reviews/{closing['id']}").text
    assert "Met (+2 Much more than expected)" in page
    response = slt.post(
        f"/api/v1/reviews/{closing['uuid']}/withdrawal",
        json={"reason": "Wrong child"},
        headers=auth.headers(),
    )
    assert response.status_code == 200
    assert db["target_outcomes"].count == 0  # the target is open again
    assert "+2 Much more than expected" in slt.get(f"/reviews/{closing['id']}").text  # kept in its history
