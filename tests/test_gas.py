"""Goal attainment scaling: the T-score, the suggested level, and old outcomes taken as levels."""

import uuid
from datetime import date

import pytest

from outcomes import fft, gas, reviews, stars, users


@pytest.mark.parametrize(
    "levels, weights, expected",
    [
        ([-1], None, 40.0),
        ([-2], None, 30.0),
        ([0, 0, 0], None, 50.0),
        ([-1, -1, -1], None, 36.31),
        ([-2, -2, -2], None, 22.61),
        ([2, 2, 2], None, 77.39),
        ([-1, -1, -1, -1], None, 35.49),
        ([1, -1, 0], [3, 1, 2], 54.41),
    ],
)
def test_t_score_matches_the_published_worked_values(levels, weights, expected):
    assert round(gas.t_score(levels, weights), 2) == expected


def test_weights_of_one_are_the_unweighted_score():
    assert gas.t_score([1, -2, 0], [1, 1, 1]) == gas.t_score([1, -2, 0])


def test_no_targets_has_no_t_score():
    assert gas.t_score([]) is None


@pytest.mark.parametrize(
    "start, target, score, level",
    [
        (3, 6, 6, 0),  # reached the target: as expected
        (3, 6, 7, 1),  # one beyond
        (3, 6, 8, 2),  # two beyond
        (3, 6, 10, 2),  # far beyond is still +2, the top of the scale
        (3, 6, 5, -1),  # rose, short of the target
        (3, 6, 3, -2),  # no change
        (3, 6, 2, -2),  # worse
        (None, 6, 5, -2),  # no start reading: short of the target is not met
        (3, 6, None, None),  # not assessed: nothing to suggest
    ],
)
def test_suggested_level_follows_the_reading(start, target, score, level):
    assert gas.suggested_level(start, target, score) == level


@pytest.mark.parametrize(
    "level, outcome", [(2, "met"), (1, "met"), (0, "met"), (-1, "partly_met"), (-2, "not_met")]
)
def test_met_partly_and_not_met_are_read_off_the_level(level, outcome):
    assert gas.outcome_of(level) == outcome


def test_an_outcome_recorded_without_a_level_is_taken_as_its_plainest_level():
    assert [gas.level_of(o) for o in ("met", "partly_met", "not_met", "withdrawn")] == [0, -1, -2, None]


@pytest.mark.parametrize(
    "importance, difficulty, weight", [(None, None, 1), (3, None, 3), (2, 3, 6), (3, 3, 9)]
)
def test_a_weight_is_importance_times_difficulty(importance, difficulty, weight):
    assert gas.weight(importance, difficulty) == weight


def test_one_t_score_per_child_over_its_targets():
    scores = gas.child_t_scores([(1, -1, 1), (2, 0, 1), (1, -1, 1), (1, -1, 1)])
    assert round(scores[1], 2) == 36.31 and scores[2] == 50.0


def test_the_old_rating_scale_maps_onto_the_five_fft_answers():
    assert [fft.answer_of(r) for r in (5, 4, 3, 2, 1)] == [
        "very_good",
        "good",
        "neither",
        "poor",
        "very_poor",
    ]
    assert fft.score_of("dont_know") is None


def _review(db, world, day, targets=(), outcomes=()):
    star = stars.load_version(db, stars.current_version_id(db, world.services["slt"]))
    data = {
        "uuid": uuid.uuid4(),
        "child_id": world.amy,
        "service": "slt",
        "date": date.fromisoformat(day),
        "readings": {d["key"]: {"score": 4, "not_assessed_reason": None} for d in star["domains"]},
        "targets": [
            {"domain": d["key"], "description": "Work on it", "target_score": 6, "due_date": None}
            for d in star["domains"][: len(targets)]
        ],
        "target_outcomes": list(outcomes),
        "notes": "",
        "internal_notes": "",
        "submit": True,
    }
    review, _ = reviews.save_review(db, world.slt, data)
    return review


def test_rows_written_without_a_level_or_an_answer_get_the_mapped_ones(db, world):
    """Older paths (bulk history, a restored backup's code) write outcomes and 1–5 ratings only."""
    first = _review(db, world, "2025-01-10", targets=[1, 2, 3, 4])
    second = _review(db, world, "2025-04-10")
    for target, outcome in zip(first["targets"], ("met", "partly_met", "not_met", "withdrawn"), strict=True):
        db["target_outcomes"].insert(
            {"target_id": target["id"], "review_id": second["id"], "outcome": outcome, "reason": "r"}
        )
    levels = [row[0] for row in db.execute("SELECT gas_level FROM target_outcomes ORDER BY target_id")]
    assert levels == [0, -1, -2, None]
    db.execute(
        "UPDATE target_outcomes SET outcome = 'withdrawn' WHERE target_id = ?", [first["targets"][0]["id"]]
    )
    assert (
        db.execute(
            "SELECT gas_level FROM target_outcomes WHERE target_id = ?", [first["targets"][0]["id"]]
        ).fetchone()[0]
        is None
    )
    for rating in (1, 2, 3, 4, 5):
        user = users.create_user(db, f"f{rating}@test.example", "F", "family", password_hash="x")
        db["family_views"].insert({"review_id": second["id"], "user_id": user, "rating": rating})
    answers = [row[0] for row in db.execute("SELECT fft_answer FROM family_views ORDER BY rating")]
    assert answers == [fft.answer_of(r) for r in (1, 2, 3, 4, 5)]
