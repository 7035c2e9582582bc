"""The scorecard computed the old way, straight from reviews and readings: the independent
recomputation that the facts (outcomes/facts.py, review_facts) are checked against.

These are the queries scorecard.py and goals_and_views.py ran before they read the facts, kept word
for word (only the names of the shared rules are imported); goal attainment's closed targets are
added up into the sums gas_figures now takes (GAS_SQL). `raw_queries()` makes scorecard.compute
and everything built on it (published_year, scorecard) run them instead of the facts' queries, so
the same Python turns either into figures. bench/scorecard.py times the two side by side.
"""

import contextlib

from outcomes import fft, goals_and_views, scorecard
from outcomes.goals_and_views import AGREE_WITHIN
from outcomes.rules import counted, due_date_in_force_sql, latest_first, oldest_first
from outcomes.scorecard import IN_GROUP

ACTIVITY_SQL = f"""
WITH period_reviews AS MATERIALIZED (
    SELECT r.child_id, r.date,
           (SELECT max(p.date) FROM reviews p
            WHERE p.service_id = :service AND p.child_id = r.child_id
              AND {counted("p")} AND (p.date < r.date OR (p.date = r.date AND p.id < r.id))) AS previous
    FROM reviews r
    WHERE r.service_id = :service AND {counted("r")}
      AND r.date BETWEEN :start AND :end AND {IN_GROUP.format("r.child_id")}
)
SELECT count(*) AS reviews,
       count(DISTINCT child_id) AS children_reviewed,
       coalesce(sum(previous IS NULL OR date <= {due_date_in_force_sql("previous", ":service")}), 0)
           AS reviews_on_time
FROM period_reviews
"""

# A target's outcome is "recorded in the period" when its closing (counted) review is.
TARGETS_SQL = f"""
SELECT count(*) AS targets_closed,
       coalesce(sum(o.outcome = 'met'), 0) AS targets_met,
       coalesce(sum(o.outcome = 'partly_met'), 0) AS targets_partly_met,
       coalesce(sum(o.outcome = 'not_met'), 0) AS targets_not_met
FROM reviews r
JOIN target_outcomes o ON o.review_id = r.id
WHERE r.service_id = :service AND {counted("r")}
  AND r.date BETWEEN :start AND :end AND {IN_GROUP.format("r.child_id")}
  AND o.outcome <> 'withdrawn'
"""

# Distance travelled (DESIGN.md), for the children with a review in the period and an earlier
# one by the service: mean reading at the latest review up to the period's end (which, as they
# have one in the period, is their latest in it) minus the mean at their first review with the
# service, each over its assessed domains (avg skips NULL scores). One statement gives the
# service-wide row (domain '') and a row per domain; the domain pairs readings on the domain id
# and, when the star changed version between the two reviews, on the domain key.
PROGRESS_SQL = f"""
WITH period_children AS MATERIALIZED (
    SELECT child_id, max(date) AS latest_date FROM reviews
    WHERE service_id = :service AND {counted("")} AND date BETWEEN :start AND :end
      AND {IN_GROUP.format("child_id")}
    GROUP BY child_id
), firsts AS MATERIALIZED (
    -- First and latest in one order (rules): on a shared date the higher id is the later review.
    SELECT (SELECT l.id FROM reviews l
            WHERE l.service_id = :service AND l.child_id = c.child_id AND {counted("l")}
              AND l.date = c.latest_date
            ORDER BY {latest_first("l")} LIMIT 1) AS latest_id,
           (SELECT f.id FROM reviews f
            WHERE f.service_id = :service AND f.child_id = c.child_id AND {counted("f")}
            ORDER BY {oldest_first("f")} LIMIT 1) AS first_id
    FROM period_children c
), progress AS MATERIALIZED (
    SELECT first_id, latest_id FROM firsts WHERE first_id <> latest_id
), distances AS MATERIALIZED (
    SELECT (SELECT avg(score) FROM readings WHERE review_id = latest_id)
         - (SELECT avg(score) FROM readings WHERE review_id = first_id) AS distance
    FROM progress
), by_domain AS (
    SELECT domain_id, count(distance) AS children, sum(distance) AS total, sum(distance > 0) AS improved,
           -- a whole-point change in a mean of readings can land a hair under 1 in floating point
           sum(distance >= :meaningful - 1e-9) AS meaningful_up,
           sum(distance <= 1e-9 - :meaningful) AS meaningful_down
    FROM (
        SELECT fr.domain_id,
               coalesce(
                   (SELECT lr.score FROM readings lr
                    WHERE lr.review_id = p.latest_id AND lr.domain_id = fr.domain_id),
                   (SELECT lr.score FROM domains fd
                    JOIN domains ld ON ld.key = fd.key AND ld.id <> fd.id
                    JOIN readings lr ON lr.review_id = p.latest_id AND lr.domain_id = ld.id
                    WHERE fd.id = fr.domain_id)
               ) - fr.score AS distance
        FROM progress p
        JOIN readings fr ON fr.review_id = p.first_id
        LIMIT -1  -- keeps the subquery a co-routine, so each distance is worked out once
    )
    GROUP BY domain_id
)
SELECT '' AS domain, count(distance) AS children_with_progress_data,
       avg(distance) AS mean_distance_travelled, coalesce(sum(distance > 0), 0) AS improved,
       coalesce(sum(distance >= :meaningful - 1e-9), 0) AS meaningful_up,
       coalesce(sum(distance <= 1e-9 - :meaningful), 0) AS meaningful_down
FROM distances
UNION ALL
SELECT d.key, sum(b.children), 1.0 * sum(b.total) / sum(b.children), sum(b.improved),
       sum(b.meaningful_up), sum(b.meaningful_down)
FROM by_domain b JOIN domains d ON d.id = b.domain_id
GROUP BY d.key HAVING sum(b.children) > 0
"""


# Ratings given in the period (by the UK date they were given: created_at is UTC, so the bounds are
# the UTC instants of the period's UK midnights) for reviews of each service, in
# one pass over the period's ratings (family_views_by_created) for every service at once.
FAMILY_SQL = f"""
SELECT r.service_id, count(*) AS family_ratings, avg(fv.rating) AS mean_family_satisfaction,
       coalesce(sum(fv.fft_answer IN ({", ".join(f"'{answer}'" for answer in fft.POSITIVE)})), 0)
           AS family_positive
FROM family_views fv
CROSS JOIN reviews r ON r.id = fv.review_id
WHERE fv.created_at >= :utc_start AND fv.created_at < :utc_after_end AND fv.rating IS NOT NULL
  AND {counted("r")} AND {IN_GROUP.format("r.child_id")}
GROUP BY r.service_id
"""

# The period's reviews that carry the child's own view (at least one face the child tapped).
CHILD_VIEW_SQL = f"""
SELECT count(*) AS reviews_with_child_view FROM reviews r
WHERE r.service_id = :service AND {counted("r")}
  AND r.date BETWEEN :start AND :end AND {IN_GROUP.format("r.child_id")}
  AND EXISTS (SELECT 1 FROM child_readings cr WHERE cr.review_id = r.id)
"""


# Targets closed by a counted review in the period, with their level and weights.
TARGETS_CLOSED_SQL = f"""
SELECT r.child_id, o.gas_level, t.importance, t.difficulty
FROM reviews r
JOIN target_outcomes o ON o.review_id = r.id
JOIN targets t ON t.id = o.target_id
WHERE r.service_id = :service AND {counted("r")}
  AND r.date BETWEEN :start AND :end AND {{in_group}}
  AND o.outcome <> 'withdrawn' AND o.gas_level IS NOT NULL
"""

# gas_figures takes how many children have each combination of the sums of their T-score
# (gas.t_score_of_sums): the closed targets above, added up per child, then per combination.
GAS_SQL = f"""
SELECT weighted, squares, weights, count(*) FROM (
    SELECT child_id, sum(gas_level * importance * difficulty) AS weighted,
           sum(importance * difficulty * importance * difficulty) AS squares,
           sum(importance * difficulty) AS weights
    FROM (
        SELECT child_id, gas_level, coalesce(importance, 1) AS importance,
               coalesce(difficulty, 1) AS difficulty
        FROM ({TARGETS_CLOSED_SQL})
    )
    GROUP BY child_id
)
GROUP BY weighted, squares, weights
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


RAW = {
    scorecard: {
        "ACTIVITY_SQL": ACTIVITY_SQL,
        "TARGETS_SQL": TARGETS_SQL,
        "PROGRESS_SQL": PROGRESS_SQL,
        "FAMILY_SQL": FAMILY_SQL,
        "CHILD_VIEW_SQL": CHILD_VIEW_SQL,
    },
    goals_and_views: {"GAS_SQL": GAS_SQL, "FAMILY_VIEW_SQL": FAMILY_VIEW_SQL},
}


@contextlib.contextmanager
def raw_queries():
    """Within the block, scorecard.py computes from reviews and readings instead of the facts."""
    saved = {module: {name: getattr(module, name) for name in queries} for module, queries in RAW.items()}
    for module, queries in RAW.items():
        for name, sql in queries.items():
            setattr(module, name, sql)
    try:
        yield
    finally:
        for module, queries in saved.items():
            for name, sql in queries.items():
                setattr(module, name, sql)
