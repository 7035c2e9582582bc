"""Goal attainment scaling: a closed target's level, the outcome it means, and a child's T-score.

The five standard levels (Kiresuk and Sherman, 1968): -2 no change or worse, -1 some progress but
less than expected, 0 as expected, +1 more than expected, +2 much more than expected. Met, partly
met and not met are read off the level, so the two can never disagree. No Flask imports.
"""

import math
from datetime import date

from . import periods
from .targets import suggested_outcome

LEVELS = (2, 1, 0, -1, -2)
LEVEL_LABELS = {
    2: "+2 Much more than expected",
    1: "+1 More than expected",
    0: "0 As expected",
    -1: "\u22121 Some progress, less than expected",
    -2: "\u22122 No change or worse",
}
# The outcome a level means, and the level an outcome without one is taken as (a met target
# recorded before levels existed is taken as "as expected", never better).
LEVEL_OF_OUTCOME = {"met": 0, "partly_met": -1, "not_met": -2}
WEIGHT_CHOICES = (1, 2, 3)
# The correlation between a child's targets assumed by the T-score (Kiresuk and Sherman's 0.3).
RHO = 0.3


def outcome_of(level):
    """met, partly_met or not_met for a level."""
    if level >= 0:
        return "met"
    return "partly_met" if level == -1 else "not_met"


def level_of(outcome):
    """The level an outcome stands for when none was confirmed; None for a withdrawn target."""
    return LEVEL_OF_OUTCOME.get(outcome)


def suggested_level(start_score, target_score, score):
    """The level to suggest from the reading at the closing review (the practitioner may change it).

    Met, partly met and not met as targets.suggested_outcome; a reading beyond the target is
    +1 when it is 1 point beyond, +2 when 2 or more.
    """
    outcome = suggested_outcome(start_score, target_score, score)
    if outcome is None:
        return None
    if outcome == "met":
        return min(2, score - target_score)
    return LEVEL_OF_OUTCOME[outcome]


def weight(importance, difficulty):
    """A target's weight: importance × difficulty, each 1–3; a blank one counts as 1."""
    return (importance or 1) * (difficulty or 1)


def t_score(levels, weights=None):
    """The GAS T-score of a set of targets: 50 when each was achieved as expected.

    T = 50 + 10·Σwᵢxᵢ / √((1−ρ)·Σwᵢ² + ρ·(Σwᵢ)²), ρ = 0.3, wᵢ = 1 when unweighted.
    None for no targets.
    """
    levels = list(levels)
    if not levels:
        return None
    weights = list(weights) if weights is not None else [1] * len(levels)
    weighted = sum(w * x for w, x in zip(weights, levels, strict=True))
    return t_score_of_sums(weighted, sum(w * w for w in weights), sum(weights))


def t_score_of_sums(weighted, squares, weights):
    """The T-score from its three whole-number sums over the targets: Σwᵢxᵢ, Σwᵢ² and Σwᵢ (the
    scorecard keeps these per child and period, so a year adds up its quarters' exactly)."""
    spread = (1 - RHO) * squares + RHO * weights**2
    return 50 + 10 * weighted / math.sqrt(spread)


def child_t_scores(rows):
    """{child_id: T} from rows of (child_id, level, weight): one T per child over its targets."""
    by_child = {}
    for child_id, level, target_weight in rows:
        levels, weights = by_child.setdefault(child_id, ([], []))
        levels.append(level)
        weights.append(target_weight)
    return {child: t_score(levels, weights) for child, (levels, weights) in by_child.items()}


def year_summary(closed, today):
    """A child's goal attainment with one service for a page: the financial year to `today`, or
    the latest earlier year in which a target was closed.

    `closed`: closed targets (closed_on, outcome, gas_level, importance, difficulty), any order.
    {"period", "targets", "t_score", "as_expected_or_better"}, or None when none was closed.
    """
    by_year = {}
    for target in closed:
        if (
            target["outcome"] == "withdrawn"
            or target["gas_level"] is None
            or target["closed_on"] > str(today)
        ):
            continue
        year = periods.year_containing(date.fromisoformat(target["closed_on"]))
        by_year.setdefault(year.label, (year, []))[1].append(target)
    if not by_year:
        return None
    year, targets = max(by_year.values(), key=lambda item: item[0].start)
    score = t_score(
        [t["gas_level"] for t in targets], [weight(t["importance"], t["difficulty"]) for t in targets]
    )
    return {
        "period": year.label,
        "targets": len(targets),
        "t_score": round(score, 1),
        "as_expected_or_better": score >= 50 - 1e-9,
    }
