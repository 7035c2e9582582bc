"""The balanced scorecard of DESIGN.md: every measure, per service and period, in SQL.

The figures are computed first (`compute`), then published a financial year at a time through
`published_year`, which hands them with every identity between them to disclosure.protect — the
only place figures are withheld or rounded. Everything a person or a feed client sees —
dashboard, trend, print report, CSV, JSON — comes out of `published_year`.
No Flask imports.
"""

import csv
import io
import math
from datetime import datetime, timezone

from . import disclosure, fft, goals_and_views, periods
from .rules import counted
from .sen import SEN2_NEEDS

# (measure, perspective, kind, denominator): DESIGN.md's table, in its order.
MEASURES = [
    ("children_reviewed", "compliance", "count", None),
    ("reviews", "compliance", "count", None),
    ("reviews_on_time", "compliance", "count", None),
    ("pct_reviews_on_time", "compliance", "rate", "reviews"),
    ("targets_closed", "impact", "count", None),
    ("targets_met", "impact", "count", None),
    ("targets_partly_met", "impact", "count", None),
    ("targets_not_met", "impact", "count", None),
    ("pct_targets_met", "impact", "rate", "targets_closed"),
    ("children_with_progress_data", "impact", "count", None),
    ("mean_distance_travelled", "impact", "mean", "children_with_progress_data"),
    ("pct_children_improved", "impact", "rate", "children_with_progress_data"),
    ("pct_children_meaningful_improvement", "impact", "rate", "children_with_progress_data"),
    ("pct_children_meaningful_decline", "impact", "rate", "children_with_progress_data"),
    ("children_with_targets_closed", "impact", "count", None),
    ("mean_gas_t_score", "impact", "mean", "children_with_targets_closed"),
    ("pct_children_gas_50_or_more", "impact", "rate", "children_with_targets_closed"),
    ("family_ratings", "effectiveness", "count", None),
    ("mean_family_satisfaction", "effectiveness", "mean", "family_ratings"),
    ("pct_reviews_with_child_view", "effectiveness", "rate", "reviews"),
    ("pct_family_positive", "effectiveness", "rate", "family_ratings"),
    ("pct_reviews_with_family_view", "effectiveness", "rate", "reviews"),
    ("pct_family_view_agreement", "effectiveness", "rate", "_reviews_compared"),
]
DOMAIN_MEASURES = [
    m
    for m in MEASURES
    if m[0]
    in (
        "children_with_progress_data",
        "mean_distance_travelled",
        "pct_children_improved",
        "pct_children_meaningful_improvement",
        "pct_children_meaningful_decline",
        "pct_family_view_agreement",
    )
]
PERSPECTIVES = ("compliance", "impact", "effectiveness")
LABELS = {
    "children_reviewed": "Children reviewed",
    "reviews": "Reviews",
    "reviews_on_time": "Reviews on time",
    "pct_reviews_on_time": "Reviews on time (%)",
    "targets_closed": "Targets closed",
    "targets_met": "Targets met",
    "targets_partly_met": "Targets partly met",
    "targets_not_met": "Targets not met",
    "pct_targets_met": "Targets met (%)",
    "children_with_progress_data": "Children with progress data",
    "mean_distance_travelled": "Mean distance travelled",
    "pct_children_improved": "Children improved (%)",
    "pct_children_meaningful_improvement": "Children with a meaningful improvement (%)",
    "pct_children_meaningful_decline": "Children with a meaningful decline (%)",
    "family_ratings": "Family ratings",
    "mean_family_satisfaction": "Mean family satisfaction (1–5)",
    "pct_reviews_with_child_view": "Reviews with the child's own view (%)",
    "children_with_targets_closed": "Children with a target closed",
    "mean_gas_t_score": "Mean goal attainment T-score (50: as expected)",
    "pct_children_gas_50_or_more": "Goals achieved as expected or better (%)",
    "pct_family_positive": "Families rating it good or very good (%)",
    "pct_reviews_with_family_view": "Reviews with the family's view (%)",
    "pct_family_view_agreement": "Family within 1 point of practitioner (%)",
}
CSV_COLUMNS = [
    "period",
    "period_start",
    "period_end",
    "service",
    "domain",
    "measure",
    "perspective",
    "value",
    "suppressed",
    "reason",
    "breakdown",
    "group",
]

# A breakdown row counts only the children of one group (temp.scorecard_group, filled by
# _fill_group); :grouped is 0 for the service's own figures.
IN_GROUP = "(:grouped = 0 OR {} IN (SELECT child_id FROM temp.scorecard_group))"

# Every measure but the family's reads the stored facts (outcomes/facts.py, the REVIEW_FACTS migration), kept
# by triggers in the same transaction as every write. review_facts has one row per counted review:
# its previous and next review, its child's first review, on time, distance travelled and target
# outcomes. A child's latest review up to the period's end is the one in the period whose next
# review is after the end (or none). Periods are whole quarters, so the counts and the distances
# by domain are read from the facts' sums by quarter (review_*_by_quarter: a few rows a year); a
# breakdown (:grouped) adds up its own children's facts instead.
LATEST_IN_PERIOD = "(next_date IS NULL OR next_date > :end)"

ACTIVITY_SQL = f"""
SELECT coalesce(sum(reviews), 0) AS reviews,
       coalesce(sum(children_reviewed), 0) AS children_reviewed,
       coalesce(sum(on_time), 0) AS reviews_on_time
FROM (
    SELECT reviews, CASE WHEN next_quarter > :end THEN reviews ELSE 0 END AS children_reviewed, on_time
    FROM review_facts_by_quarter
    WHERE :grouped = 0 AND service_id = :service AND quarter BETWEEN :start AND :end
    UNION ALL
    SELECT 1, {LATEST_IN_PERIOD}, on_time FROM review_facts
    WHERE :grouped = 1 AND service_id = :service AND date BETWEEN :start AND :end
      AND {IN_GROUP.format("child_id")}
)
"""

# A target's outcome is "recorded in the period" when its closing (counted) review is; withdrawn
# outcomes are left out of the facts' counts.
TARGETS_SQL = f"""
SELECT coalesce(sum(targets_closed), 0) AS targets_closed,
       coalesce(sum(targets_met), 0) AS targets_met,
       coalesce(sum(targets_partly_met), 0) AS targets_partly_met,
       coalesce(sum(targets_not_met), 0) AS targets_not_met
FROM (
    SELECT targets_closed, targets_met, targets_partly_met, targets_not_met FROM review_facts_by_quarter
    WHERE :grouped = 0 AND service_id = :service AND quarter BETWEEN :start AND :end
    UNION ALL
    SELECT targets_closed, targets_met, targets_partly_met, targets_not_met FROM review_facts
    WHERE :grouped = 1 AND service_id = :service AND date BETWEEN :start AND :end
      AND {IN_GROUP.format("child_id")}
)
"""


def _distances(only_if="1"):
    """Each child's distance travelled with the service in the period (their latest review up to its
    end against their first), from the facts; a breakdown's children only."""
    return f"""SELECT distance FROM review_facts
    WHERE {only_if} AND service_id = :service AND date BETWEEN :start AND :end AND {LATEST_IN_PERIOD}
      AND first_id <> review_id AND {IN_GROUP.format("child_id")}
    -- summed in the children's order, so the mean is the same float however the facts were made
    ORDER BY child_id LIMIT -1"""


# Distance travelled (DESIGN.md), for the children with a review in the period and an earlier
# one by the service: mean reading at the latest review up to the period's end minus the mean at
# their first review with the service, each over its assessed domains (the fact's distance; NULL,
# not counted, when either review has none). One statement gives the service-wide row (domain '')
# and a row per domain (review_domain_facts: the first review's domain, paired on the domain id
# or, across star versions, on its key; whole points, so their sums by quarter are exact). The
# service-wide mean reads the distances by quarter in whole 1/27720ths of a point (exact, see the
# MORE_FACTS migration), so it is the exact mean's nearest float; a breakdown reads its children's.
PROGRESS_SQL = f"""
WITH distances AS MATERIALIZED ({_distances(":grouped = 1")}), units AS (
    SELECT units, children FROM review_distance_by_quarter
    WHERE :grouped = 0 AND service_id = :service AND quarter BETWEEN :start AND :end AND next_quarter > :end
), by_domain AS (
    SELECT domain_id, sum(children) AS children, sum(children * distance) AS total,
           sum(children * (distance > 0)) AS improved,
           -- a whole-point change in a mean of readings can land a hair under 1 in floating point
           sum(children * (distance >= :meaningful - 1e-9)) AS meaningful_up,
           sum(children * (distance <= 1e-9 - :meaningful)) AS meaningful_down
    FROM (
        SELECT domain_id, distance, children FROM review_domain_facts_by_quarter
        WHERE :grouped = 0 AND service_id = :service AND quarter BETWEEN :start AND :end
          AND next_quarter > :end
        UNION ALL
        SELECT domain_id, distance, 1 FROM review_domain_facts
        -- each domain's range of the index in turn (any domain: a service may have changed star)
        WHERE :grouped = 1 AND service_id = :service AND domain_id IN (SELECT id FROM domains WHERE id > 0)
          AND date BETWEEN :start AND :end AND {LATEST_IN_PERIOD} AND {IN_GROUP.format("child_id")}
    )
    GROUP BY domain_id
)
SELECT * FROM (
    SELECT '' AS domain, count(distance) AS children_with_progress_data,
           avg(distance) AS mean_distance_travelled, coalesce(sum(distance > 0), 0) AS improved,
           coalesce(sum(distance >= :meaningful - 1e-9), 0) AS meaningful_up,
           coalesce(sum(distance <= 1e-9 - :meaningful), 0) AS meaningful_down
    FROM distances
) WHERE :grouped = 1
UNION ALL
SELECT * FROM (
    SELECT '', coalesce(sum(children), 0),
           -- two whole numbers, so one division: the float nearest the exact mean
           CAST(sum(children * units) AS REAL) / (27720 * sum(children)),
           coalesce(sum(children * (units > 0)), 0),
           coalesce(sum(children * (units / 27720.0 >= :meaningful - 1e-9)), 0),
           coalesce(sum(children * (units / 27720.0 <= 1e-9 - :meaningful)), 0)
    FROM units
) WHERE :grouped = 0
UNION ALL
SELECT d.key, sum(b.children), 1.0 * sum(b.total) / sum(b.children), sum(b.improved),
       sum(b.meaningful_up), sum(b.meaningful_down)
FROM by_domain b JOIN domains d ON d.id = b.domain_id
GROUP BY d.key HAVING sum(b.children) > 0
"""

# The service-wide mean distance the float way, each child's distance added in the children's order:
# read only when the exact mean lies on a half hundredth (1.325), where the float sum published before
# the exact one could land either side of it; so a published figure never changes (_float_mean_on_half).
FLOAT_MEAN_DISTANCE_SQL = f"SELECT avg(distance) FROM ({_distances()})"

# Ratings given in the period (by the UK date they were given: created_at is UTC, so the bounds are
# the UTC instants of the period's UK midnights) for reviews of each service, for every service at
# once: from the ratings' sums by UK quarter (family_rating_facts_by_quarter, the MORE_FACTS
# migration), or for a breakdown from the period's ratings themselves (family_views_by_created).
FAMILY_SQL = f"""
SELECT service_id, sum(ratings) AS family_ratings,
       1.0 * sum(rating_sum) / sum(ratings) AS mean_family_satisfaction, sum(positive) AS family_positive
FROM family_rating_facts_by_quarter
WHERE :grouped = 0 AND quarter BETWEEN :start AND :end
GROUP BY service_id
UNION ALL
SELECT r.service_id, count(*) AS family_ratings, avg(fv.rating) AS mean_family_satisfaction,
       coalesce(sum(fv.fft_answer IN ({", ".join(f"'{answer}'" for answer in fft.POSITIVE)})), 0)
           AS family_positive
FROM family_views fv
CROSS JOIN reviews r ON r.id = fv.review_id
WHERE :grouped = 1 AND fv.created_at >= :utc_start AND fv.created_at < :utc_after_end
  AND fv.rating IS NOT NULL AND {counted("r")} AND {IN_GROUP.format("r.child_id")}
GROUP BY r.service_id
"""

# The period's reviews that carry the child's own view (at least one face the child tapped): the
# facts' flag (review_view_facts), summed by quarter for the service.
CHILD_VIEW_SQL = f"""
SELECT coalesce(sum(child_view), 0) AS reviews_with_child_view FROM (
    SELECT child_view FROM review_view_facts_by_quarter
    WHERE :grouped = 0 AND service_id = :service AND quarter BETWEEN :start AND :end
    UNION ALL
    SELECT child_view FROM review_view_facts
    WHERE :grouped = 1 AND service_id = :service AND date BETWEEN :start AND :end
      AND {IN_GROUP.format("child_id")}
)
"""


def _group_table(db):
    """The connection's own (temp) list of one breakdown group's children; empty unless grouped."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS scorecard_group (child_id INTEGER PRIMARY KEY)")


def services(db):
    """Every current service in scorecard order, as the feed publishes them.

    A person's share is access.managed_services.
    """
    _group_table(db)
    return list(
        db.query(
            "SELECT id, key, name, review_interval_days, star_id, "
            "coalesce((SELECT meaningful_change FROM stars WHERE stars.id = star_id), 1) "
            "AS meaningful_change "
            "FROM services WHERE retired_at IS NULL ORDER BY id"
        )
    )


def _period_params(period):
    utc_start, utc_after_end = periods.utc_bounds(period)
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "utc_start": utc_start,
        "utc_after_end": utc_after_end,
        "grouped": 0,
    }


def _params(service, period):
    return {"service": service["id"], "meaningful": service["meaningful_change"], **_period_params(period)}


def _one(db, sql, params):
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=False))


def _mean(value):
    return disclosure.round_half_up(value, 2) if value is not None else None


def compute(db, service, period):
    """Unsuppressed figures for one service and period: ({measure: value}, [domain rows]).

    Counts whose name starts with "_" are a rate's numerator: used by disclosure control, never shown.
    """
    return compute_services(db, [service], period)[0]


def compute_services(db, service_rows, period, grouped=False):
    """Unsuppressed figures for each service: [({measure: value}, [domain rows])] in order.

    `grouped`: only the children in temp.scorecard_group (a breakdown row; see group_figures).
    """
    _group_table(db)
    service_rows = [_with_meaningful_change(db, service) for service in service_rows]
    params = {**_period_params(period), "grouped": int(grouped)}
    family = {row["service_id"]: row for row in db.query(FAMILY_SQL, params)}
    return [
        _service_figures(db, service, period, family.get(service["id"]), grouped) for service in service_rows
    ]


def _with_meaningful_change(db, service):
    """The service row with its star's meaningful-change threshold (DESIGN.md: default 1 point)."""
    if "meaningful_change" in service:
        return service
    row = db.execute("SELECT meaningful_change FROM stars WHERE id = ?", [service["star_id"]]).fetchone()
    return {**service, "meaningful_change": row[0] if row else 1.0}


def _service_figures(db, service, period, family, grouped=False):
    params = {**_params(service, period), "grouped": int(grouped)}
    figures = _one(db, ACTIVITY_SQL, params)
    figures["pct_reviews_on_time"] = disclosure.rate(figures["reviews_on_time"], figures["reviews"])
    figures.update(_one(db, TARGETS_SQL, params))
    figures["pct_targets_met"] = disclosure.rate(figures["targets_met"], figures["targets_closed"])
    progress = {row["domain"]: row for row in db.query(PROGRESS_SQL, params)}
    figures.update(_progress_figures(_float_mean_on_half(db, params, progress.pop(""))))
    figures.update(goals_and_views.gas_figures(db, params, IN_GROUP))
    figures.update(_family_figures(family))
    figures.update(_child_view_figures(db, params, figures["reviews"]))
    views, view_domains = goals_and_views.family_view_figures(db, params, IN_GROUP)
    figures.update(views)
    figures["pct_reviews_with_family_view"] = disclosure.rate(
        views["_reviews_with_family_view"], figures["reviews"]
    )
    domains = []
    for key, label in domain_labels(db, service, [*progress, *view_domains]):
        row = _progress_figures(progress.get(key, EMPTY_PROGRESS))
        row.update(view_domains.get(key, goals_and_views.EMPTY_DOMAIN))
        domains.append({"domain": key, "label": label, "figures": row})
    return figures, domains


def _float_mean_on_half(db, params, row):
    """The service-wide progress row, its mean read the float way when the exact one is a half
    hundredth (see FLOAT_MEAN_DISTANCE_SQL)."""
    mean = row["mean_distance_travelled"]
    if params["grouped"] or mean is None:
        return row
    cents = abs(mean) * 100
    if abs(cents - math.floor(cents) - 0.5) > 1e-6:
        return row
    return {**row, "mean_distance_travelled": db.execute(FLOAT_MEAN_DISTANCE_SQL, params).fetchone()[0]}


def _child_view_figures(db, params, reviews):
    """pct_reviews_with_child_view and its (never shown) numerator."""
    with_view = _one(db, CHILD_VIEW_SQL, params)["reviews_with_child_view"]
    return {
        "pct_reviews_with_child_view": disclosure.rate(with_view, reviews),
        "_reviews_with_child_view": with_view,
    }


def _family_figures(family):
    """Family ratings (FFT answers other than "don't know"), their mean score and the positive share."""
    ratings = family["family_ratings"] if family else 0
    positive = family["family_positive"] if family else 0
    return {
        "family_ratings": ratings,
        "mean_family_satisfaction": _mean(family["mean_family_satisfaction"]) if family else None,
        "pct_family_positive": disclosure.rate(positive, ratings),
        "_family_positive": positive,
    }


EMPTY_PROGRESS = {
    "children_with_progress_data": 0,
    "mean_distance_travelled": None,
    "improved": 0,
    "meaningful_up": 0,
    "meaningful_down": 0,
}


def _progress_figures(row):
    children = row["children_with_progress_data"]
    return {
        "children_with_progress_data": children,
        "mean_distance_travelled": _mean(row["mean_distance_travelled"]),
        "pct_children_improved": disclosure.rate(row["improved"], children),
        "pct_children_meaningful_improvement": disclosure.rate(row["meaningful_up"], children),
        "pct_children_meaningful_decline": disclosure.rate(row["meaningful_down"], children),
        "_improved": row["improved"],
        "_meaningful_improvement": row["meaningful_up"],
        "_meaningful_decline": row["meaningful_down"],
    }


def domain_labels(db, service, extra_keys=()):
    """(key, label) of the service's current star in order, then any older keys with data."""
    rows = list(
        db.query(
            """SELECT d.key, d.label, sv.version FROM domains d
           JOIN star_versions sv ON sv.id = d.star_version_id
           WHERE sv.star_id = ? AND sv.published_at IS NOT NULL
           ORDER BY sv.version DESC, d.position""",
            [service["star_id"]],
        )
    )
    newest = rows[0]["version"] if rows else None
    labels = [(row["key"], row["label"]) for row in rows if row["version"] == newest]
    known = {key for key, _ in labels}
    older = {}
    for row in rows:
        older.setdefault(row["key"], row["label"])
    for key in sorted(set(extra_keys) - known):
        labels.append((key, older.get(key, key)))
    return labels


# Measures that add up over a year's four quarters (each review, target or rating falls in exactly
# one quarter); counts of distinct children only bound the year's (no more than the quarters' sum).
ADDITIVE = (
    "reviews",
    "reviews_on_time",
    "targets_closed",
    "targets_met",
    "targets_partly_met",
    "targets_not_met",
    "family_ratings",
)
DISTINCT = ("children_reviewed", "children_with_progress_data", "children_with_targets_closed")
# What each rate is a share of, and the range of one item of a mean whose total is a whole number.
NUMERATORS = {
    "pct_reviews_on_time": "reviews_on_time",
    "pct_targets_met": "targets_met",
    "pct_children_improved": "_improved",
    "pct_children_meaningful_improvement": "_meaningful_improvement",
    "pct_children_meaningful_decline": "_meaningful_decline",
    "pct_reviews_with_child_view": "_reviews_with_child_view",
    "pct_children_gas_50_or_more": "_gas_50_or_more",
    "pct_family_positive": "_family_positive",
    "pct_reviews_with_family_view": "_reviews_with_family_view",
}
# Hidden counts that are a rate's size, not its numerator (agreement is a share of readings, so
# only the number of reviews behind it is checked).
HIDDEN_SIZES = ("_reviews_compared",)
MEAN_ITEMS = {"mean_family_satisfaction": (1, 5)}
# Inside one row: (smaller, larger) pairs a reader knows.
ROW_ORDER = [
    ("children_reviewed", "reviews"),
    ("reviews_on_time", "reviews"),
    ("children_with_progress_data", "children_reviewed"),
    ("_improved", "children_with_progress_data"),
    ("_meaningful_improvement", "children_with_progress_data"),
    ("_meaningful_decline", "children_with_progress_data"),
    ("_reviews_with_child_view", "reviews"),
    ("children_with_targets_closed", "children_reviewed"),
    ("children_with_targets_closed", "targets_closed"),
    ("_gas_50_or_more", "children_with_targets_closed"),
    ("_family_positive", "family_ratings"),
    ("_reviews_with_family_view", "reviews"),
    ("_reviews_compared", "_reviews_with_family_view"),
]


def _add_row(problem, label, scope, figures, measures):
    """One row's figures (service-wide, a domain's) as cells of the disclosure problem."""
    for name, _, kind, denominator in measures:
        key = (label, scope, name)
        if kind == "count":
            problem.counts[key] = figures[name]
        else:
            numerator = NUMERATORS.get(name)
            problem.ratios[key] = disclosure.Ratio(
                figures[name],
                den=(label, scope, denominator),
                num=(label, scope, numerator) if numerator else None,
                item_range=MEAN_ITEMS.get(name),
            )
    for name, value in figures.items():
        if name.startswith("_"):
            problem.hidden[(label, scope, name)] = value
    if "targets_closed" in figures:
        parts = [(label, scope, name) for name in ("targets_met", "targets_partly_met", "targets_not_met")]
        problem.sums.append(((label, scope, "targets_closed"), parts))
    for small, large in ROW_ORDER:
        if small in figures and large in figures:
            problem.leqs.append(((label, scope, small), (label, scope, large)))


def _add_periods(problem, year, quarters, groups_add_up=True):
    """A year and its quarters: additive counts sum; distinct children lie between max and sum.

    An age band is taken at each period's end, so a child can be in one band for a quarter and in
    the next for the year: age-band rows do not add up over the quarters (`groups_add_up` False).
    """
    for key in [k for k in problem.counts if k[0] == year.label]:
        _, scope, name = key
        if scope.startswith("group:") and not groups_add_up:
            continue
        parts = [(q.label, scope, name) for q in quarters]
        if not all(part in problem.counts for part in parts):
            continue
        if name in ADDITIVE:
            problem.sums.append((key, parts))
        elif name in DISTINCT:
            problem.leqs.extend((part, key) for part in parts)
            total, slack = ("sum", *key), ("slack", *key)
            problem.hidden[total] = sum(problem.counts[part] for part in parts)
            problem.hidden[slack] = problem.hidden[total] - problem.counts[key]
            problem.sums.extend([(total, parts), (total, [key, slack])])


# Each breakdown splits children into groups that cover them all, so its rows add up to the
# service's figures (disclosure control relies on it). Age is at the period's end.
BREAKDOWNS = {
    "age_band": [
        ("0-4", "0–4"),
        ("5-10", "5–10"),
        ("11-15", "11–15"),
        ("16-25", "16–25"),
        ("unknown", "Other or unknown age"),
    ],
    "sen_status": [
        ("ehc_plan", "EHC plan"),
        ("sen_support", "SEN support"),
        ("none", "No SEN"),
        ("unknown", "Not recorded"),
    ],
    "primary_need": [(code, code) for code in SEN2_NEEDS] + [("unknown", "Not recorded")],
}
AGE = (
    "(CAST(strftime('%Y', :end) AS INTEGER) - CAST(strftime('%Y', date_of_birth) AS INTEGER)"
    " - (strftime('%m-%d', :end) < strftime('%m-%d', date_of_birth)))"
)
GROUP_OF = {
    "age_band": f"""CASE WHEN date_of_birth IS NULL THEN 'unknown'
        WHEN {AGE} BETWEEN 0 AND 4 THEN '0-4' WHEN {AGE} BETWEEN 5 AND 10 THEN '5-10'
        WHEN {AGE} BETWEEN 11 AND 15 THEN '11-15' WHEN {AGE} BETWEEN 16 AND 25 THEN '16-25'
        ELSE 'unknown' END""",
    "sen_status": "coalesce(sen_status, 'unknown')",
    "primary_need": "coalesce(primary_need, 'unknown')",
}


def _fill_group(db, breakdown, group, period):
    """Put one group's children in temp.scorecard_group; False when it has none."""
    db.execute("DELETE FROM temp.scorecard_group")
    db.execute(
        f"INSERT INTO temp.scorecard_group SELECT id FROM children WHERE {GROUP_OF[breakdown]} = :group",
        {"group": group, "end": period.end.isoformat()},
    )
    return db.execute("SELECT 1 FROM temp.scorecard_group LIMIT 1").fetchone() is not None


def group_figures(db, service_rows, period, breakdown):
    """{group: [figures per service]} of one breakdown, unprotected."""
    result = {}
    for group, _ in BREAKDOWNS[breakdown]:
        if _fill_group(db, breakdown, group, period):
            result[group] = [
                figures for figures, _ in compute_services(db, service_rows, period, grouped=True)
            ]
        else:
            result[group] = [_zero_figures() for _ in service_rows]
    db.execute("DELETE FROM temp.scorecard_group")
    return result


def _zero_figures():
    figures = {name: (0 if kind == "count" else None) for name, _, kind, _ in MEASURES}
    figures.update({name: 0 for name in NUMERATORS.values() if name.startswith("_")})
    figures.update({name: 0 for name in HIDDEN_SIZES})
    return figures


def _add_breakdown(problem, by_period):
    """A breakdown's rows, each group's counts adding up to the service's own."""
    for label, groups in by_period.items():
        for group, figures in groups.items():
            _add_row(problem, label, "group:" + group, figures, MEASURES)
        for name, value in next(iter(groups.values())).items():
            if isinstance(value, int) and (label, "", name) in {**problem.counts, **problem.hidden}:
                parts = [(label, "group:" + group, name) for group in groups]
                problem.sums.append(((label, "", name), parts))


def protect_year(by_period, year, quarters, policy, breakdowns=None, breakdown=None):
    """Disclosure decisions for one service's figures over a year and its quarters.

    `by_period`: {label: (figures, domain rows)}. Returns {(label, scope, measure): decision}.
    """
    problem = disclosure.Problem()
    for label, (figures, domains) in by_period.items():
        _add_row(problem, label, "", figures, MEASURES)
        for row in domains:
            scope = "domain:" + row["domain"]
            _add_row(problem, label, scope, row["figures"], DOMAIN_MEASURES)
            problem.leqs.append(
                ((label, scope, "children_with_progress_data"), (label, "", "children_with_progress_data"))
            )
    _add_periods(problem, year, quarters)
    decisions = disclosure.protect(problem, policy)
    if breakdowns is None:
        return decisions
    # The service's figures stay as published without the breakdown; only group rows are withheld
    # further, so asking for a breakdown never changes (or reveals) the service's own figures.
    _add_breakdown(problem, breakdowns)
    _add_periods(problem, year, quarters, groups_add_up=breakdown != "age_band")
    return disclosure.protect(problem, policy, fixed=decisions)


def _published(decisions, label, scope, measures):
    return {
        name: {"perspective": perspective, **decisions[(label, scope, name)]}
        for name, perspective, _, _ in measures
    }


def published_year(db, service_rows, year, policy, breakdown=None):
    """{period label: [service entries]} for a financial year and its quarters, protected together.

    Every figure the app shows comes from here: a quarter is always published as part of its year,
    so asking for the quarter or for the year can never give away more than both together.
    """
    quarters = [periods.quarter(year.start.year, number) for number in (1, 2, 3, 4)]
    computed = {p.label: compute_services(db, service_rows, p) for p in [year, *quarters]}
    grouped = (
        {p.label: group_figures(db, service_rows, p, breakdown) for p in [year, *quarters]}
        if breakdown
        else None
    )
    result = {p.label: [] for p in [year, *quarters]}
    for index, service in enumerate(service_rows):
        by_period = {label: rows[index] for label, rows in computed.items()}
        groups = (
            {label: {g: rows[index] for g, rows in by_group.items()} for label, by_group in grouped.items()}
            if grouped
            else None
        )
        decisions = protect_year(by_period, year, quarters, policy, groups, breakdown)
        for label, (_, domains) in by_period.items():
            entry = {
                "key": service["key"],
                "name": service["name"],
                "measures": _published(decisions, label, "", MEASURES),
                "domains": [
                    {
                        "domain": row["domain"],
                        "label": row["label"],
                        "measures": _published(decisions, label, "domain:" + row["domain"], DOMAIN_MEASURES),
                    }
                    for row in domains
                ],
            }
            if breakdown:
                entry["breakdown"] = {
                    "by": breakdown,
                    "groups": [
                        {
                            "group": g,
                            "label": text,
                            "measures": _published(decisions, label, "group:" + g, MEASURES),
                        }
                        for g, text in BREAKDOWNS[breakdown]
                    ],
                }
            result[label].append(entry)
    return result


def scorecard(db, service_rows, period, policy, now=None, breakdown=None, publish=None):
    """The published scorecard of `period` for `service_rows`: what the feed, CSV and pages show.

    `publish`: published_year, or a caller's cached copy of it (the feed keeps each year's)."""
    generated = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    year = periods.year_containing(period.start)
    return {
        "period": period.as_dict(),
        "generated_at": generated.isoformat().replace("+00:00", "Z"),
        "disclosure": policy.as_dict(),
        "services": (publish or published_year)(db, service_rows, year, policy, breakdown)[period.label],
    }


def trend(db, service_rows, period, policy, count=8):
    """Every service-wide measure over the `count` quarters ending with `period`, as published.

    {"quarters": [labels], "services": {key: [{measure: figure} per quarter]}}
    """
    quarters = periods.quarters_up_to(period, count)
    years = {}
    for quarter in quarters:
        year = periods.year_containing(quarter.start)
        if year.label not in years:
            years[year.label] = published_year(db, service_rows, year, policy)
    result = {"quarters": [q.label for q in quarters], "services": {s["key"]: [] for s in service_rows}}
    for quarter in quarters:
        year = periods.year_containing(quarter.start)
        for entry in years[year.label][quarter.label]:
            result["services"][entry["key"]].append(entry["measures"])
    return result


def csv_rows(card):
    """One tidy row per period × service × domain (blank for service-wide) or breakdown group × measure."""
    period = card["period"]
    for service in card["services"]:
        rows = [("", "", "", service["measures"])]
        rows += [(d["domain"], "", "", d["measures"]) for d in service["domains"]]
        if "breakdown" in service:
            by = service["breakdown"]["by"]
            rows += [("", by, g["group"], g["measures"]) for g in service["breakdown"]["groups"]]
        for domain, breakdown, group, measures in rows:
            for measure, figure in measures.items():
                yield {
                    "period": period["label"],
                    "period_start": period["start"],
                    "period_end": period["end"],
                    "service": service["key"],
                    "domain": domain,
                    "measure": measure,
                    "perspective": figure["perspective"],
                    "value": "" if figure["value"] is None else figure["value"],
                    "suppressed": "true" if figure["suppressed"] else "false",
                    "reason": figure["reason"] or "",
                    "breakdown": breakdown,
                    "group": group,
                }


def csv_lines(card):
    """The card's CSV a line at a time (header first), for a streamed download."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in csv_rows(card):
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        writer.writerow(row)
    yield out.getvalue()


def to_csv(card):
    return "".join(csv_lines(card))
