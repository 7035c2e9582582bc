"""Goal attainment, agreement with the family and FFT satisfaction on a small hand-built history.

Speech and Language Therapy, 2025-26 Q4 (January to March 2026). Every domain of a review has the
same reading unless said otherwise.

child  reviews                          targets (weight = importance x difficulty) -> closed at
Amy    2025-09-01: 3, 2026-02-01: 5      talking 5 (3x1 = 3), attention 6 (1), understanding 6
                                         (1x2 = 2); closed 02-01 at +1, -1, 0
Bob    2025-10-01: 4, 2026-03-01: 4      talking 6 (1); closed 03-01 at -2
Cy     2026-01-10: 4 (first review)     -

Amy's T = 50 + 10 (3 - 1 + 0) / sqrt(0.7 (9 + 1 + 4) + 0.3 (3 + 1 + 2)^2) = 50 + 20 / sqrt(20.6)
= 54.4065; Bob's T = 50 - 20 / sqrt(0.7 + 0.3) = 30. Mean 42.2033 -> 42.20; one of two at 50+.

Family views (given in Q4): on Amy's 02-01 review (practitioner 5 everywhere), parent 1 "very
good" with readings attention 5 (0 apart: agree), understanding 6 (1: agree), talking 7 (2: not),
speech_sounds 3 (2: not); parent 2 "poor", no readings. On Bob's 03-01 review (4 everywhere),
parent 1 "don't know" with talking 4 (agree) and attention 2 (not). Cy's review has no view.
"""

import uuid
from datetime import date

import pytest

from outcomes import disclosure, fft, gas, periods, reviews, scorecard, stars, users

Q4 = periods.parse("2025-26 Q4")


def _save(db, world, child, day, score, targets=(), outcomes=()):
    star = stars.load_version(db, stars.current_version_id(db, world.services["slt"]))
    data = {
        "uuid": uuid.uuid4(),
        "child_id": child,
        "service": "slt",
        "date": date.fromisoformat(day),
        "readings": {d["key"]: {"score": score, "not_assessed_reason": None} for d in star["domains"]},
        "targets": [
            {
                "domain": domain,
                "description": f"Work on {domain}",
                "target_score": target,
                "due_date": None,
                "importance": importance,
                "difficulty": difficulty,
            }
            for domain, target, importance, difficulty in targets
        ],
        "target_outcomes": [
            {"target_id": target_id, "outcome": gas.outcome_of(level), "gas_level": level, "reason": None}
            for target_id, level in outcomes
        ],
        "notes": "",
        "internal_notes": "",
        "submit": True,
    }
    review, _ = reviews.save_review(db, world.slt, data)
    return review


def _view(db, review, user, answer, readings, created_at):
    view = (
        db["family_views"]
        .insert(
            {
                "review_id": review["id"],
                "user_id": user,
                "rating": fft.score_of(answer),
                "fft_answer": answer,
                "created_at": created_at,
            }
        )
        .last_pk
    )
    domain_ids = dict(
        db.execute(
            "SELECT d.key, d.id FROM readings r JOIN domains d ON d.id = r.domain_id WHERE r.review_id = ?",
            [review["id"]],
        ).fetchall()
    )
    for key, score in readings.items():
        db["family_view_readings"].insert(
            {"family_view_id": view, "domain_id": domain_ids[key], "score": score}
        )


@pytest.fixture
def history(db, world):
    cy = (
        db["children"]
        .insert({"given_name": "Cy", "family_name": "Dee", "date_of_birth": "2016-03-03"})
        .last_pk
    )
    db["caseloads"].insert({"child_id": cy, "service_id": world.services["slt"], "started_on": "2024-01-01"})
    a1 = _save(
        db,
        world,
        world.amy,
        "2025-09-01",
        3,
        targets=[("talking", 5, 3, 1), ("attention", 6, None, None), ("understanding", 6, 1, 2)],
    )
    b1 = _save(db, world, world.bob, "2025-10-01", 4, targets=[("talking", 6, None, None)])
    a_targets = {t["domain"]: t["id"] for t in a1["targets"]}
    a2 = _save(
        db,
        world,
        world.amy,
        "2026-02-01",
        5,
        outcomes=[(a_targets["talking"], 1), (a_targets["attention"], -1), (a_targets["understanding"], 0)],
    )
    b2 = _save(db, world, world.bob, "2026-03-01", 4, outcomes=[(b1["targets"][0]["id"], -2)])
    _save(db, world, cy, "2026-01-10", 4)
    second = users.create_user(db, "parent2@test.example", "P2", "family", password_hash="x")
    readings = {"attention": 5, "understanding": 6, "talking": 7, "speech_sounds": 3}
    _view(db, a2, world.family, "very_good", readings, "2026-02-02 10:00:00")
    _view(db, a2, second, "poor", {}, "2026-02-03 10:00:00")
    _view(db, b2, world.family, "dont_know", {"talking": 4, "attention": 2}, "2026-03-02 10:00:00")
    return next(row for row in scorecard.services(db) if row["key"] == "slt")


def test_goal_attainment_agreement_and_satisfaction_for_the_quarter(db, history):
    figures, domains = scorecard.compute(db, history, Q4)
    assert {name: figures[name] for name in NEW} == {
        "children_with_targets_closed": 2,
        "mean_gas_t_score": 42.20,
        "pct_children_gas_50_or_more": 50.0,
        # Very good and poor; "don't know" is not a rating: 1 of 2 positive, mean (5 + 2) / 2.
        "family_ratings": 2,
        "mean_family_satisfaction": 3.5,
        "pct_family_positive": 50.0,
        # Amy's and Bob's reviews have a view, Cy's not: 2 of 3.
        "pct_reviews_with_family_view": 66.7,
        # 3 of the 6 compared readings within 1 point.
        "pct_family_view_agreement": 50.0,
    }
    agreement = {row["domain"]: row["figures"]["pct_family_view_agreement"] for row in domains}
    assert agreement == {
        "attention": 50.0,  # Amy's agrees, Bob's does not
        "understanding": 100.0,
        "talking": 50.0,  # Amy's is 2 apart, Bob's the same
        "speech_sounds": 0.0,
        "social_communication": None,  # nobody's family read it
        "eating_drinking": None,
    }


def test_a_t_score_of_exactly_50_counts_as_expected_or_better(db, history, world):
    # Bob's closure moved to level 0: both children at 50 or more, mean (54.4065 + 50) / 2 = 52.20.
    db.execute("UPDATE target_outcomes SET gas_level = 0, outcome = 'met' WHERE gas_level = -2")
    figures, _ = scorecard.compute(db, history, Q4)
    assert (figures["mean_gas_t_score"], figures["pct_children_gas_50_or_more"]) == (52.2, 100.0)


def test_small_numbers_are_withheld_never_shown(db, history):
    card = scorecard.scorecard(db, [history], Q4, disclosure.POLICIES["threshold5"])
    measures = card["services"][0]["measures"]
    for name in NEW:
        assert measures[name]["value"] is None and measures[name]["reason"] == "small_count", name
    domain = card["services"][0]["domains"][0]["measures"]["pct_family_view_agreement"]
    assert (domain["value"], domain["reason"]) == (None, "small_count")


NEW = (
    "children_with_targets_closed",
    "mean_gas_t_score",
    "pct_children_gas_50_or_more",
    "family_ratings",
    "mean_family_satisfaction",
    "pct_family_positive",
    "pct_reviews_with_family_view",
    "pct_family_view_agreement",
)
