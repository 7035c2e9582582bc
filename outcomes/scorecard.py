"""The balanced scorecard of DESIGN.md: every measure, per service and period, in SQL.

The figures are computed first (`compute`), then published through one function
(`publish`), which is the only place small numbers are suppressed. Everything a person
or a feed client sees — dashboard, print report, CSV, JSON — comes out of `publish`.
No Flask imports.
"""

import csv
import io
from datetime import datetime, timedelta, timezone

from . import periods
from .rules import counted, due_date_sql

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
    ("family_ratings", "effectiveness", "count", None),
    ("mean_family_satisfaction", "effectiveness", "mean", "family_ratings"),
]
DOMAIN_MEASURES = [
    m
    for m in MEASURES
    if m[0] in ("children_with_progress_data", "mean_distance_travelled", "pct_children_improved")
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
    "family_ratings": "Family ratings",
    "mean_family_satisfaction": "Mean family satisfaction (1–5)",
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
]

ACTIVITY_SQL = f"""
WITH period_reviews AS MATERIALIZED (
    SELECT r.child_id, r.date,
           (SELECT max(p.date) FROM reviews p
            WHERE p.service_id = :service AND p.child_id = r.child_id
              AND {counted("p")} AND p.date < r.date) AS previous
    FROM reviews r
    WHERE r.service_id = :service AND {counted("r")}
      AND r.date BETWEEN :start AND :end
)
SELECT count(*) AS reviews,
       count(DISTINCT child_id) AS children_reviewed,
       coalesce(sum(previous IS NULL OR date <= {due_date_sql("previous", ":interval")}), 0)
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
  AND r.date BETWEEN :start AND :end
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
    -- SQLite takes the bare column id from the row holding max(date): the latest review.
    SELECT child_id, max(date) AS latest_date, id AS latest_id FROM reviews
    WHERE service_id = :service AND {counted("")} AND date BETWEEN :start AND :end
    GROUP BY child_id
), firsts AS MATERIALIZED (
    SELECT c.latest_id, c.latest_date,
           (SELECT min(f.date) FROM reviews f
            WHERE f.service_id = :service AND f.child_id = c.child_id AND {counted("f")}) AS first_date,
           (SELECT f.id FROM reviews f
            WHERE f.service_id = :service AND f.child_id = c.child_id AND {counted("f")}
            ORDER BY f.date, f.id LIMIT 1) AS first_id
    FROM period_children c
), progress AS MATERIALIZED (
    SELECT first_id, latest_id FROM firsts WHERE first_date < latest_date
), distances AS MATERIALIZED (
    SELECT (SELECT avg(score) FROM readings WHERE review_id = latest_id)
         - (SELECT avg(score) FROM readings WHERE review_id = first_id) AS distance
    FROM progress
), by_domain AS (
    SELECT domain_id, count(distance) AS children, sum(distance) AS total, sum(distance > 0) AS improved
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
       avg(distance) AS mean_distance_travelled, coalesce(sum(distance > 0), 0) AS improved
FROM distances
UNION ALL
SELECT d.key, sum(b.children), 1.0 * sum(b.total) / sum(b.children), sum(b.improved)
FROM by_domain b JOIN domains d ON d.id = b.domain_id
GROUP BY d.key HAVING sum(b.children) > 0
"""

# Ratings given in the period (by the date they were given) for reviews of each service, in
# one pass over the period's ratings (family_views_by_created) for every service at once.
FAMILY_SQL = f"""
SELECT r.service_id, count(*) AS family_ratings, avg(fv.rating) AS mean_family_satisfaction
FROM family_views fv
CROSS JOIN reviews r ON r.id = fv.review_id
WHERE fv.created_at >= :start AND fv.created_at < :after_end AND fv.rating IS NOT NULL
  AND {counted("r")}
GROUP BY r.service_id
"""


def services(db):
    """Every current service in scorecard order, as the feed publishes them.

    A person's share is access.managed_services.
    """
    return list(
        db.query(
            "SELECT id, key, name, review_interval_days, star_id FROM services "
            "WHERE retired_at IS NULL ORDER BY id"
        )
    )


def _period_params(period):
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "after_end": (period.end + timedelta(days=1)).isoformat(),
    }


def _params(service, period):
    return {"service": service["id"], "interval": service["review_interval_days"], **_period_params(period)}


def _one(db, sql, params):
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=False))


def _rate(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _mean(value):
    return round(value, 2) if value is not None else None


def target_figures(db, service, period):
    figures = _one(db, TARGETS_SQL, _params(service, period))
    figures["pct_targets_met"] = _rate(figures["targets_met"], figures["targets_closed"])
    return figures


def compute(db, service, period):
    """Unsuppressed figures for one service and period: ({measure: value}, [domain rows])."""
    return compute_services(db, [service], period)[0]


def compute_services(db, service_rows, period):
    """Unsuppressed figures for each service: [({measure: value}, [domain rows])] in order."""
    family = {row["service_id"]: row for row in db.query(FAMILY_SQL, _period_params(period))}
    return [_service_figures(db, service, period, family.get(service["id"])) for service in service_rows]


def _service_figures(db, service, period, family):
    params = _params(service, period)
    figures = _one(db, ACTIVITY_SQL, params)
    figures["pct_reviews_on_time"] = _rate(figures["reviews_on_time"], figures["reviews"])
    figures.update(target_figures(db, service, period))
    progress = {row["domain"]: row for row in db.query(PROGRESS_SQL, params)}
    overall = progress.pop("")
    figures["children_with_progress_data"] = overall["children_with_progress_data"]
    figures["mean_distance_travelled"] = _mean(overall["mean_distance_travelled"])
    figures["pct_children_improved"] = _rate(overall["improved"], overall["children_with_progress_data"])
    figures["family_ratings"] = family["family_ratings"] if family else 0
    figures["mean_family_satisfaction"] = _mean(family["mean_family_satisfaction"]) if family else None
    domains = []
    for key, label in domain_labels(db, service, progress):
        row = progress.get(
            key, {"children_with_progress_data": 0, "mean_distance_travelled": None, "improved": 0}
        )
        domains.append(
            {
                "domain": key,
                "label": label,
                "figures": {
                    "children_with_progress_data": row["children_with_progress_data"],
                    "mean_distance_travelled": _mean(row["mean_distance_travelled"]),
                    "pct_children_improved": _rate(row["improved"], row["children_with_progress_data"]),
                },
            }
        )
    return figures, domains


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


def suppress(kind, value, denominator, threshold):
    """DESIGN.md's small-number rule: a count of 1..threshold-1 is hidden, and so is a rate
    or mean whose denominator is under the threshold. Zero is shown."""
    if kind == "count":
        hidden = 0 < value < threshold
    else:
        hidden = denominator < threshold
    return {"value": None if hidden else value, "suppressed": hidden}


def publish(figures, measures, threshold):
    """The one place figures become publishable: {measure: {perspective, value, suppressed}}."""
    published = {}
    for name, perspective, kind, denominator in measures:
        if name not in figures:
            continue
        base = figures[denominator] if denominator else None
        published[name] = {"perspective": perspective, **suppress(kind, figures[name], base, threshold)}
    return published


def scorecard(db, service_rows, period, threshold, now=None):
    """The published scorecard of `period` for `service_rows`: what the feed, CSV and pages show."""
    generated = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    result = {
        "period": period.as_dict(),
        "generated_at": generated.isoformat().replace("+00:00", "Z"),
        "threshold": threshold,
        "services": [],
    }
    for service, (figures, domains) in zip(
        service_rows, compute_services(db, service_rows, period), strict=False
    ):
        result["services"].append(
            {
                "key": service["key"],
                "name": service["name"],
                "measures": publish(figures, MEASURES, threshold),
                "domains": [
                    {
                        "domain": row["domain"],
                        "label": row["label"],
                        "measures": publish(row["figures"], DOMAIN_MEASURES, threshold),
                    }
                    for row in domains
                ],
            }
        )
    return result


def targets_trend(db, service_rows, period, threshold, count=8):
    """pct_targets_met over the `count` quarters ending with `period`, per service key."""
    quarters = periods.quarters_up_to(period, count)
    trend = {"quarters": [quarter.label for quarter in quarters], "services": {}}
    for service in service_rows:
        trend["services"][service["key"]] = [
            publish(target_figures(db, service, quarter), MEASURES, threshold) for quarter in quarters
        ]
    return trend


def csv_rows(card):
    """One tidy row per period × service × domain (blank for service-wide) × measure."""
    period = card["period"]
    for service in card["services"]:
        rows = [("", service["measures"])] + [(d["domain"], d["measures"]) for d in service["domains"]]
        for domain, measures in rows:
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
                }


def to_csv(card):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(csv_rows(card))
    return out.getvalue()
