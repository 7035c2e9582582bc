"""The scorecard's goal attainment and family-view figures for one service and period, in SQL.

scorecard._service_figures calls these with its parameters (:service, :start, :end, :grouped) and
its breakdown filter (`in_group`, a format string taking the child id column); disclosure control
then treats them like every other figure. Counts named "_..." are only ever a rate's hidden part.
No Flask imports.
"""

from . import disclosure, gas
from .rules import counted

# A family's and a practitioner's readings of a domain agree when at most this far apart.
AGREE_WITHIN = 1

# Targets closed by a counted review in the period, with their level and weights.
GAS_SQL = f"""
SELECT r.child_id, o.gas_level, t.importance, t.difficulty
FROM reviews r
JOIN target_outcomes o ON o.review_id = r.id
JOIN targets t ON t.id = o.target_id
WHERE r.service_id = :service AND {counted("r")}
  AND r.date BETWEEN :start AND :end AND {{in_group}}
  AND o.outcome <> 'withdrawn' AND o.gas_level IS NOT NULL
"""

# Counted reviews in the period; those with a family view; and each family reading paired with the
# practitioner's reading of the same domain at that review (both assessed): agree = within 1 point.
FAMILY_VIEW_SQL = f"""
WITH period_reviews AS MATERIALIZED (
    SELECT r.id FROM reviews r
    WHERE r.service_id = :service AND {counted("r")}
      AND r.date BETWEEN :start AND :end AND {{in_group}}
), pairs AS MATERIALIZED (
    SELECT p.id AS review_id, d.key AS domain, abs(fr.score - rd.score) <= {AGREE_WITHIN} AS agree
    FROM period_reviews p
    JOIN family_views fv ON fv.review_id = p.id
    JOIN family_view_readings fr ON fr.family_view_id = fv.id
    JOIN readings rd ON rd.review_id = p.id AND rd.domain_id = fr.domain_id AND rd.score IS NOT NULL
    JOIN domains d ON d.id = fr.domain_id
)
SELECT '' AS domain,
       (SELECT count(*) FROM period_reviews p
        WHERE EXISTS (SELECT 1 FROM family_views fv WHERE fv.review_id = p.id)) AS with_view,
       count(DISTINCT review_id) AS compared, count(*) AS pairs, coalesce(sum(agree), 0) AS agreed
FROM pairs
UNION ALL
SELECT domain, NULL, count(DISTINCT review_id), count(*), sum(agree) FROM pairs GROUP BY domain
"""


def gas_figures(db, params, in_group):
    """Children with a target closed in the period, their mean T-score, and the share at 50 or more.

    Each child has one T-score for the service and period, over the targets closed in it.
    """
    rows = db.execute(GAS_SQL.format(in_group=in_group.format("r.child_id")), params).fetchall()
    scores = gas.child_t_scores(
        (child, level, gas.weight(importance, difficulty)) for child, level, importance, difficulty in rows
    )
    children = len(scores)
    # A T-score of exactly 50 (every target as expected) can land a hair under in floating point.
    at_least_50 = sum(score >= 50 - 1e-9 for score in scores.values())
    mean = sum(scores.values()) / children if children else None
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
