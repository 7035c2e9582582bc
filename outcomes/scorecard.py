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
DOMAIN_MEASURES = [m for m in MEASURES if m[0] in
                   ("children_with_progress_data", "mean_distance_travelled", "pct_children_improved")]
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
CSV_COLUMNS = ["period", "period_start", "period_end", "service", "domain", "measure",
               "perspective", "value", "suppressed"]

# "Counted" (DESIGN.md): submitted and the latest version. Written exactly like the partial
# indexes' WHERE clause so that SQLite can use them.
def counted(alias):
    return f"{alias}.status = 'submitted' AND {alias}.is_latest = 1"


COUNTED = "status = 'submitted' AND is_latest = 1"

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
       coalesce(sum(previous IS NULL OR date <= date(previous, '+' || :interval || ' days')), 0)
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

# Children with a review in the period and an earlier one by the service: their first review
# with the service and their latest up to the period's end.
PROGRESS_CTE = f"""
WITH period_children AS (
    SELECT DISTINCT child_id FROM reviews
    WHERE service_id = :service AND {COUNTED} AND date BETWEEN :start AND :end
), pairs AS MATERIALIZED (
    SELECT (SELECT f.id FROM reviews f
            WHERE f.service_id = :service AND f.child_id = c.child_id
              AND {counted("f")}
            ORDER BY f.date, f.id LIMIT 1) AS first_id,
           (SELECT l.id FROM reviews l
            WHERE l.service_id = :service AND l.child_id = c.child_id
              AND {counted("l")} AND l.date <= :end
            ORDER BY l.date DESC, l.id DESC LIMIT 1) AS latest_id
    FROM period_children c
), progress AS MATERIALIZED (
    SELECT p.first_id, p.latest_id FROM pairs p
    JOIN reviews f ON f.id = p.first_id
    JOIN reviews l ON l.id = p.latest_id
    WHERE f.date < l.date
)
"""

# Distance travelled per child: the mean over assessed domains (avg skips NULL scores).
PROGRESS_SQL = PROGRESS_CTE + """, distances AS MATERIALIZED (
    SELECT (SELECT avg(score) FROM readings WHERE review_id = latest_id)
         - (SELECT avg(score) FROM readings WHERE review_id = first_id) AS distance
    FROM progress
)
SELECT count(distance) AS children_with_progress_data,
       avg(distance) AS mean_distance_travelled,
       coalesce(sum(distance > 0), 0) AS improved
FROM distances
"""

# Per domain, matched on the domain key so that readings compare across star versions.
DOMAIN_SQL = PROGRESS_CTE + """
SELECT fd.key AS domain,
       count(*) AS children_with_progress_data,
       avg(lr.score - fr.score) AS mean_distance_travelled,
       sum(lr.score > fr.score) AS improved
FROM progress p
JOIN readings fr ON fr.review_id = p.first_id AND fr.score IS NOT NULL
JOIN domains fd ON fd.id = fr.domain_id
JOIN readings lr ON lr.review_id = p.latest_id AND lr.score IS NOT NULL
JOIN domains ld ON ld.id = lr.domain_id AND ld.key = fd.key
GROUP BY fd.key
"""

# Ratings given in the period (by the date they were given) for reviews of the service.
# CROSS JOIN keeps family_views outermost, so the scan is the period's ratings, not the service's reviews.
FAMILY_SQL = f"""
SELECT count(*) AS family_ratings, avg(fv.rating) AS mean_family_satisfaction
FROM family_views fv
CROSS JOIN reviews r ON r.id = fv.review_id
WHERE fv.created_at >= :start AND fv.created_at < :after_end AND fv.rating IS NOT NULL
  AND r.service_id = :service AND {counted("r")}
"""


def services(db, ids=None):
    """Services in scorecard order (current ones; only `ids` when given)."""
    rows = list(db.query(
        "SELECT id, key, name, review_interval_days, star_id FROM services "
        "WHERE retired_at IS NULL ORDER BY id"
    ))
    return rows if ids is None else [row for row in rows if row["id"] in set(ids)]


def _params(service, period):
    return {
        "service": service["id"],
        "interval": service["review_interval_days"],
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "after_end": (period.end + timedelta(days=1)).isoformat(),
    }


def _one(db, sql, params):
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return dict(zip(names, cursor.fetchone()))


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
    params = _params(service, period)
    figures = _one(db, ACTIVITY_SQL, params)
    figures["pct_reviews_on_time"] = _rate(figures["reviews_on_time"], figures["reviews"])
    figures.update(target_figures(db, service, period))
    progress = _one(db, PROGRESS_SQL, params)
    figures["children_with_progress_data"] = progress["children_with_progress_data"]
    figures["mean_distance_travelled"] = _mean(progress["mean_distance_travelled"])
    figures["pct_children_improved"] = _rate(progress["improved"], progress["children_with_progress_data"])
    family = _one(db, FAMILY_SQL, params)
    figures["family_ratings"] = family["family_ratings"]
    figures["mean_family_satisfaction"] = _mean(family["mean_family_satisfaction"])
    by_key = {row["domain"]: row for row in db.query(DOMAIN_SQL, params)}
    domains = []
    for key, label in domain_labels(db, service, by_key):
        row = by_key.get(key, {"children_with_progress_data": 0, "mean_distance_travelled": None, "improved": 0})
        domains.append({"domain": key, "label": label, "figures": {
            "children_with_progress_data": row["children_with_progress_data"],
            "mean_distance_travelled": _mean(row["mean_distance_travelled"]),
            "pct_children_improved": _rate(row["improved"], row["children_with_progress_data"]),
        }})
    return figures, domains


def domain_labels(db, service, extra_keys=()):
    """(key, label) of the service's current star in order, then any older keys with data."""
    rows = list(db.query(
        """SELECT d.key, d.label, sv.version FROM domains d
           JOIN star_versions sv ON sv.id = d.star_version_id
           WHERE sv.star_id = ? AND sv.published_at IS NOT NULL
           ORDER BY sv.version DESC, d.position""",
        [service["star_id"]],
    ))
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
    for service in service_rows:
        figures, domains = compute(db, service, period)
        result["services"].append({
            "key": service["key"],
            "name": service["name"],
            "measures": publish(figures, MEASURES, threshold),
            "domains": [
                {"domain": row["domain"], "label": row["label"],
                 "measures": publish(row["figures"], DOMAIN_MEASURES, threshold)}
                for row in domains
            ],
        })
    return result


def targets_trend(db, service_rows, period, threshold, count=8):
    """pct_targets_met over the `count` quarters ending with `period`, per service key."""
    quarters = periods.quarters_up_to(period, count)
    trend = {"quarters": [quarter.label for quarter in quarters], "services": {}}
    for service in service_rows:
        trend["services"][service["key"]] = [
            publish(target_figures(db, service, quarter), MEASURES, threshold)
            for quarter in quarters
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
                    "period": period["label"], "period_start": period["start"], "period_end": period["end"],
                    "service": service["key"], "domain": domain, "measure": measure,
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
