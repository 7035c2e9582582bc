"""Goal attainment on the child's page and the family's page, and where family and practitioner
differ most: shown in words a parent reads, from the same rules the scorecard uses."""

from datetime import date, timedelta

import pytest
from test_api_reviews import post, review_body

from outcomes import family, gas

TODAY = date.today()
EARLIER = (TODAY - timedelta(days=200)).isoformat()


@pytest.fixture
def closed_at_plus_one(client, auth, world, db):
    """Amy's talking target (set 200 days ago) closed today at +1; T = 50 + 10 = 60."""
    auth.login("slt@test.example")
    first = post(client, auth, review_body(world.amy, date=EARLIER)).get_json()
    closing = [{"target_id": first["targets"][0]["id"], "gas_level": 1}]
    latest = post(client, auth, review_body(world.amy, targets=[], target_outcomes=closing))
    assert latest.status_code == 201
    auth.logout()
    return latest.get_json()


def test_the_practitioner_sees_the_childs_goal_attainment(client, auth, closed_at_plus_one, world):
    auth.login("slt@test.example")
    page = client.get(f"/children/{world.amy}").text
    year = gas.periods.year_containing(TODAY).label
    assert f"Goal attainment, {year}:</strong> T-score 60.0 over 1 target closed" in page
    assert "goals achieved as expected or better" in page
    assert "+1 More than expected" in page  # the closed target's level


def test_the_family_reads_it_in_plain_words(client, auth, closed_at_plus_one, world):
    auth.login("family@test.example")
    page = " ".join(client.get(f"/family/children/{world.amy}").text.split())
    assert "Amy achieved the goals as expected or better" in page
    assert "Goal attainment score 60.0; 50 means as expected." in page


def test_where_family_and_practitioner_differ_most(client, auth, closed_at_plus_one, world, db):
    # The practitioner read attention 3, understanding 4 and talking 5 (review_body's readings).
    data = {
        "answer": "good",
        "what_was_good": "",
        "could_be_better": "",
        "comment": "",
        "readings": {"attention": 5, "understanding": 4, "talking": 9},
    }
    family.save_view(db, world.family, closed_at_plus_one["id"], data)
    auth.login("slt@test.example")
    page = client.get(f"/children/{world.amy}").text
    text = " ".join(page.split())
    assert (
        "Where you differ most</strong> (something to talk about, not a score): Talking, 4 points apart."
        in text
    )


@pytest.mark.parametrize(
    "family_readings, expected",
    [
        ({"a": 5, "b": 4}, []),  # within 1 point everywhere: nothing to single out
        ({"a": 7, "b": 2}, [{"label": "A", "points": 3}, {"label": "B", "points": 3}]),  # a tie: both
        ({"a": None, "b": 8}, [{"label": "B", "points": 3}]),  # a domain the family left blank
    ],
)
def test_largest_differences(family_readings, expected):
    from outcomes.goals_and_views import largest_differences

    rows = [
        {"label": "A", "practitioner": 4, "family": family_readings["a"]},
        {"label": "B", "practitioner": 5, "family": family_readings["b"]},
        {"label": "C", "practitioner": None, "family": 1},  # not assessed by the practitioner
    ]
    assert largest_differences(rows) == expected


def _closed(day, level, outcome=None, importance=None, difficulty=None):
    return {
        "closed_on": day,
        "outcome": outcome or gas.outcome_of(level),
        "gas_level": level,
        "importance": importance,
        "difficulty": difficulty,
    }


def test_the_summary_is_this_financial_years_or_the_latest_with_targets_closed():
    today = date(2026, 11, 23)  # 2026-27
    closed = [_closed("2025-05-01", -2), _closed("2025-06-01", -1), _closed("2024-05-01", 2)]
    # None closed this year: the latest year with closures, 2025-26: two targets, -2 and -1.
    assert gas.year_summary(closed, today) == {
        "period": "2025-26",
        "targets": 2,
        "t_score": round(gas.t_score([-2, -1]), 1),
        "as_expected_or_better": False,
    }
    closed.append(_closed("2026-04-01", 0, importance=3))
    closed.append(_closed("2026-05-01", None, outcome="withdrawn"))
    summary = gas.year_summary(closed, today)
    assert (summary["period"], summary["targets"], summary["t_score"]) == ("2026-27", 1, 50.0)
    assert summary["as_expected_or_better"] is True
    assert gas.year_summary([], today) is None
