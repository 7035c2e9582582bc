"""The scorecard's goal attainment and family-view figures for one service and period, in SQL.

scorecard._service_figures calls these with its parameters (:service, :start, :end, :grouped) and
its breakdown filter (`in_group`, a format string taking the child id column); disclosure control
then treats them like every other figure. Counts named "_..." are only ever a rate's hidden part.
No Flask imports.
"""

import itertools
import math

from . import disclosure, gas

# A family's and a practitioner's readings of a domain agree when at most this far apart.
AGREE_WITHIN = 1

# Goal attainment: how many children have each combination of the sums their T-score is made of
# (gas.t_score_of_sums), over the targets closed by a counted review in the period (not withdrawn,
# with a level). The facts keep them per child for every quarter and financial year (gas_facts, the
# MORE_FACTS migration), and per service by combination (gas_facts_by_period); a breakdown adds up
# its own children's.
GAS_SQL = """
SELECT weighted, squares, weights, children FROM gas_facts_by_period
WHERE :grouped = 0 AND service_id = :service AND start = :start AND "end" = :end
UNION ALL
SELECT weighted, squares, weights, count(*) FROM gas_facts r
WHERE :grouped = 1 AND service_id = :service AND start = :start AND "end" = :end AND {in_group}
GROUP BY weighted, squares, weights
"""

# Counted reviews in the period; those with a family view; and each family reading paired with the
# practitioner's reading of the same domain at that review (both assessed): agree = within 1 point.
# Read from the facts (review_view_facts, per domain review_view_domain_facts: the MORE_FACTS
# migration), summed by quarter for the service; a breakdown adds up its own children's reviews.
FAMILY_VIEW_SQL = """
SELECT '' AS domain, coalesce(sum(family_view), 0) AS with_view, coalesce(sum(compared), 0) AS compared,
       coalesce(sum(pairs), 0) AS pairs, coalesce(sum(agreed), 0) AS agreed
FROM (
    SELECT family_view, compared, pairs, agreed FROM review_view_facts_by_quarter
    WHERE :grouped = 0 AND service_id = :service AND quarter BETWEEN :start AND :end
    UNION ALL
    SELECT family_view, compared, pairs, agreed FROM review_view_facts r
    WHERE :grouped = 1 AND service_id = :service AND date BETWEEN :start AND :end AND {in_group}
)
UNION ALL
SELECT d.key, NULL, sum(v.compared), sum(v.pairs), sum(v.agreed)
FROM (
    SELECT domain_id, compared, pairs, agreed FROM review_view_domain_facts_by_quarter
    WHERE :grouped = 0 AND service_id = :service AND quarter BETWEEN :start AND :end
    UNION ALL
    SELECT domain_id, 1, pairs, agreed FROM review_view_domain_facts r
    WHERE :grouped = 1 AND service_id = :service AND date BETWEEN :start AND :end AND {in_group}
) v
JOIN domains d ON d.id = v.domain_id
GROUP BY d.key
"""


def gas_figures(db, params, in_group):
    """Children with a target closed in the period, their mean T-score, and the share at 50 or more.

    Each child has one T-score for the service and period, over the targets closed in it; the mean
    is their exactly rounded sum (math.fsum) over their number, whatever order they come in.
    """
    rows = db.execute(GAS_SQL.format(in_group=in_group.format("r.child_id")), params).fetchall()
    scores = [(gas.t_score_of_sums(weighted, squares, weights), n) for weighted, squares, weights, n in rows]
    children = sum(n for _, n in scores)
    # A T-score of exactly 50 (every target as expected) can land a hair under in floating point.
    at_least_50 = sum(n for score, n in scores if score >= 50 - 1e-9)
    total = math.fsum(itertools.chain.from_iterable(itertools.repeat(score, n) for score, n in scores))
    mean = total / children if children else None
    return {
        "children_with_targets_closed": children,
        "mean_gas_t_score": disclosure.round_half_up(mean, 2) if mean is not None else None,
        "pct_children_gas_50_or_more": disclosure.rate(at_least_50, children),
        "_gas_50_or_more": at_least_50,
    }


def family_view_figures(db, params, in_group):
    """({service-wide figures}, {domain key: figures}) of the family's view and its agreement.

    Agreement is the share of compared domain readings (family's and practitioner's, same review
    and domain) within 1 point; its size for disclosure is the number of reviews compared.
    """
    sql = FAMILY_VIEW_SQL.format(in_group=in_group.format("r.child_id"))
    rows = {row[0]: row for row in db.execute(sql, params).fetchall()}
    _, with_view, compared, pairs, agreed = rows.pop("")
    figures = {
        "_reviews_with_family_view": with_view,
        "_reviews_compared": compared,
        "pct_family_view_agreement": disclosure.rate(agreed, pairs),
    }
    domains = {
        key: {"_reviews_compared": compared, "pct_family_view_agreement": disclosure.rate(agreed, pairs)}
        for key, _, compared, pairs, agreed in rows.values()
    }
    return figures, domains


EMPTY_DOMAIN = {"_reviews_compared": 0, "pct_family_view_agreement": None}


def largest_differences(rows):
    """Where a family and the practitioner differ most at one review: a conversation starter.

    `rows`: {"label", "practitioner", "family"} per domain. The domains (labels) read furthest
    apart, if that is more than AGREE_WITHIN points, with the difference; [] when they agree.
    """
    gaps = [
        (abs(row["family"] - row["practitioner"]), row["label"])
        for row in rows
        if row["family"] is not None and row["practitioner"] is not None
    ]
    widest = max((gap for gap, _ in gaps), default=0)
    if widest <= AGREE_WITHIN:
        return []
    return [{"label": label, "points": gap} for gap, label in gaps if gap == widest]
