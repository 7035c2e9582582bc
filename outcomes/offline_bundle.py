"""What a practitioner's tablet keeps for working with no signal. No Flask imports.

Least privilege: only her own list (children on her services' open caseloads assigned to her or
to nobody yet) and the children she opened in the last RECENT_DAYS days that are still on those
caseloads, only the fields the offline caseload, child page and review form show (her services'
counted readings included, never notes), and the current star of each service she reviews
for. A tablet never holds a whole service's caseload.
"""

from . import audit, audit_spool, charts, child_view, children, stars
from .targets import open_targets_by_child
from .wording import uk_date_text

# Only what the offline pages read (static/js/offline/shell.js): dates come as the pages show them.
CHILD_FIELDS = ("id", "given_name", "family_name")
# An open target as the review form's targets to close need it; once those are drawn (views/offline.py)
# the tablet keeps only what the child page shows (shown_targets).
TARGET_FIELDS = ("id", "domain_key", "description", "start_score", "target_score", "due_date")
SHOWN_TARGET_FIELDS = ("description", "domain_key", "start_score", "target_score", "due_text")
RECENT_DAYS = 30


def recently_opened(db, user_id, days=RECENT_DAYS):
    """Children whose record she opened in the last `days` days (from the audit trail of her reads)."""
    audit_spool.import_all(db)  # her latest reads may still wait in a spool file
    return {
        row[0]
        for row in db.execute(
            """SELECT DISTINCT child_id FROM audit_log
            WHERE user_id = ? AND action = 'view child record' AND child_id IS NOT NULL
              AND at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)""",
            [user_id, f"-{int(days)} days"],
        )
    }


def caseload_bundle(db, user_id):
    """{"user_id", "services": [...], "chart_scales": [...], "children": [...]} for the practitioner
    `user_id`.

    Each service carries the star version new reviews use; each child carries, per service,
    the review dates, the open targets, the star of their readings, and the number of faces their
    last child's view used. Every child sent is audited. A kept star's scale and areas (the same
    for thousands of children) are kept once in `chart_scales`: the chart names its one by `scale`.

    Read in batches: a few statements per service whatever the number of children (a list of
    2,500 was thousands of statements, one look-up per child for each part).
    """
    services, kept, scales = [], {}, {}
    recent = recently_opened(db, user_id)
    for service in children.practitioner_services(db, user_id):
        star = stars.load_version(db, stars.current_version_id(db, service["id"]))
        if star is None:
            continue
        services.append(_service_entry(service, star))
        rows = children.caseload(db, user_id, service["id"], own_and=recent)
        ids = [row["id"] for row in rows]
        targets = open_targets_by_child(db, ids, service["id"])
        charts_of = children.stars_over_time(db, ids, service["id"])
        for row in rows:
            child = kept.setdefault(row["id"], _child_entry(row))
            child["services"][service["key"]] = _service_record(
                row, targets.get(row["id"], []), _kept_star(charts_of.get(row["id"]), scales)
            )
    # The child's view offers the number of faces this child used last time.
    faces = child_view.default_faces_by_child(db, kept)
    for child_id, child in kept.items():
        child["child_faces"] = faces[child_id]
    ordered = sorted(kept.values(), key=lambda c: (c["family_name"], c["given_name"], c["id"]))
    audit.record_reads(db, user_id, "keep caseload offline", [child["id"] for child in ordered])
    return {
        "user_id": user_id,
        "services": services,
        "chart_scales": [scale for _, scale in scales.values()],
        "children": ordered,
    }


def _child_entry(row):
    return dict(
        {k: row[k] for k in CHILD_FIELDS},
        born=uk_date_text(row["date_of_birth"]),  # dates as the pages show them
        services={},
    )


def _service_record(row, targets, kept_star):
    """What the offline pages show of one child's record with one service (the open targets in full:
    the view draws the form's targets to close from them)."""
    return {
        "last_review_text": uk_date_text(row["last_review"], empty=None),
        "next_due_text": uk_date_text(row["next_due"], empty=None),
        "overdue": row["overdue"],
        "open_targets": [
            dict({key: target[key] for key in TARGET_FIELDS}, due_text=uk_date_text(target["due_date"]))
            for target in targets
        ],
        "chart": kept_star,
    }


# What charts.star_chart gives that depends on the star version and the areas compared, not the child.
SCALE_FIELDS = ("labels", "min", "max", "stages")


def _kept_star(chart, scales):
    """The child's star from the practitioners' counted readings (children.star_over_time: the
    family's view stays on the server), in the same form the online page draws less its scale,
    which `scales` ({key: (index, scale)}) keeps once; None before the first review. The tablet
    draws the radar only, never the lines over time, so each reading's ISO date is left out (its
    label names the date): an eighth of the gzipped bundle."""
    if not chart:
        return None
    spec = charts.star_chart(chart, "")
    for dataset in spec["datasets"]:
        del dataset["date"]
    scale = {field: spec.pop(field) for field in SCALE_FIELDS}
    key = (chart["star"]["id"], tuple(scale["labels"]))
    spec["scale"] = scales.setdefault(key, (len(scales), scale))[0]
    return spec


def shown_targets(targets):
    """Open targets (TARGET_FIELDS) with only what the offline child page shows."""
    return [{key: target[key] for key in SHOWN_TARGET_FIELDS} for target in targets]


def _service_entry(service, star):
    return {
        "key": service["key"],
        "name": service["name"],
        "review_interval_days": service["review_interval_days"],
        "star": {
            "id": star["id"],
            "name": star["name"],
            "scale_min": star["scale_min"],
            "scale_max": star["scale_max"],
            "domains": [
                {"key": d["key"], "label": d["label"], "description": d["description"]}
                for d in star["domains"]
            ],
            "stages": [
                {"name": s["name"], "min_score": s["min_score"], "max_score": s["max_score"]}
                for s in star["stages"]
            ],
        },
    }
