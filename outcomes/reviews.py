"""Reviews: checking one against its star and caseload, storing it once, amending it.

Functions take plain values and a sqlite-utils Database; no Flask imports.
"""

import hashlib
import json
import uuid as uuidlib
from datetime import date

from marshmallow import ValidationError

from . import access, audit, services, stars
from .db import write_transaction
from .rules import due_date
from .targets import open_targets


class Conflict(Exception):
    """The UUID is already stored with different content (HTTP 409)."""


def content_hash(data):
    """A stable fingerprint of a loaded review, to tell a re-send from a different review."""
    canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def review_by_uuid(db, review_uuid):
    rows = list(db.query("SELECT * FROM reviews WHERE uuid = ?", [review_uuid]))
    return rows[0] if rows else None


def get_review(db, review_id):
    rows = list(db.query("SELECT * FROM reviews WHERE id = ?", [review_id]))
    return rows[0] if rows else None


def check_readings(star, readings, errors, prefix="readings"):
    """Every domain of the star read on its scale or not assessed with a reason; no others."""
    keys = {domain["key"] for domain in star["domains"]}
    problems = {}
    for key, reading in readings.items():
        if key not in keys:
            problems[key] = [f"Unknown domain for the {star['name']}."]
        elif reading["score"] is not None and not (
            star["scale_min"] <= reading["score"] <= star["scale_max"]
        ):
            problems[key] = [f"A reading must be from {star['scale_min']} to {star['scale_max']}."]
        elif reading["score"] is None and not reading["not_assessed_reason"]:
            problems[key] = ["Say why this domain was not assessed."]
        elif reading["score"] is None and len(reading["not_assessed_reason"]) > 500:
            problems[key] = ["Keep the reason under 500 characters."]
    for key in keys - set(readings):
        problems[key] = ["Give a reading, or mark this domain not assessed with a reason."]
    if problems:
        errors[prefix] = problems


def check_review(db, user_id, data, existing=None):
    """Check a loaded review against the database; returns (service, child, star) or raises.

    Raises ValidationError with {field: [messages]} so the caller treats it like a schema error.
    """
    service = services.service_by_key(db, data["service"])
    if service is None:
        raise ValidationError({"service": ["Unknown service."]})
    child = db.execute("SELECT id, date_of_birth FROM children WHERE id = ?", [data["child_id"]]).fetchone()
    if child is None or not access.may_review(db, user_id, data["child_id"], service["id"]):
        raise ValidationError({"child_id": [f"This child is not on your {service['name']} caseload."]})
    version_id = existing["star_version_id"] if existing else stars.current_version_id(db, service["id"])
    star = stars.load_version(db, version_id)
    errors = {}
    if data["date"] < date.fromisoformat(child[1]):
        errors["date"] = ["The review date is before the child's date of birth."]
    check_readings(star, data["readings"], errors)
    _check_targets(star, data, service, errors)
    _check_outcomes(db, data, service, existing, errors)
    if errors:
        raise ValidationError(errors)
    return service, star


def _check_targets(star, data, service, errors):
    keys = {domain["key"] for domain in star["domains"]}
    for index, target in enumerate(data["targets"]):
        problems = {}
        if target["domain"] not in keys:
            problems["domain"] = [f"Unknown domain for the {star['name']}."]
        if not star["scale_min"] <= target["target_score"] <= star["scale_max"]:
            problems["target_score"] = [
                f"A target reading must be from {star['scale_min']} to {star['scale_max']}."
            ]
        if target["due_date"] is None:
            target["due_date"] = due_date(data["date"], service["review_interval_days"])
        elif target["due_date"] <= data["date"]:
            problems["due_date"] = ["The due date must be after the review date."]
        if problems:
            errors.setdefault("targets", {})[index] = problems


def _check_outcomes(db, data, service, existing, errors):
    open_ids = {
        target["id"]
        for target in open_targets(db, data["child_id"], service["id"], existing and existing["id"])
    }
    seen = set()
    for index, closing in enumerate(data["target_outcomes"]):
        if closing["target_id"] not in open_ids:
            message = "This is not an open target of this child for this service."
        elif closing["target_id"] in seen:
            message = "This target is closed twice in one review."
        else:
            seen.add(closing["target_id"])
            continue
        errors.setdefault("target_outcomes", {})[index] = {"target_id": [message]}


def save_review(db, user_id, data):
    """Store a loaded review once per UUID. Returns (review, created).

    A re-send with the same content returns the stored review; a draft may be replaced
    by its author; anything else under a known UUID raises Conflict.
    """
    review_uuid = str(data["uuid"])
    fingerprint = content_hash(data)
    # The write lock is taken before looking the UUID up, so concurrent re-sends queue here.
    with write_transaction(db):
        existing = review_by_uuid(db, review_uuid)
        if existing and existing["content_hash"] == fingerprint:
            return review_as_dict(db, existing["id"]), False
        if existing and not _may_replace_draft(existing, user_id, data):
            raise Conflict("A different review with this UUID is already stored.")
        service, star = check_review(db, user_id, data, existing)
        if existing and existing["service_id"] != service["id"]:
            raise Conflict("This UUID belongs to a draft review for another service.")
        if existing:
            _delete_draft_contents(db, existing["id"])
            review_id = existing["id"]
            db["reviews"].update(review_id, _review_row(data, user_id, service, star, fingerprint))
        else:
            row = _review_row(data, user_id, service, star, fingerprint)
            review_id = db["reviews"].insert(dict(row, uuid=review_uuid)).last_pk
            db["reviews"].update(review_id, {"series_id": review_id})
        _insert_contents(db, review_id, data, star, service)
        action = "submit review" if data["submit"] else "save draft review"
        audit.record(db, user_id, action, data["child_id"], f"review {review_id}")
        return review_as_dict(db, review_id), existing is None


def _may_replace_draft(existing, user_id, data):
    return (
        existing["status"] == "draft"
        and existing["practitioner_id"] == user_id
        and existing["child_id"] == data["child_id"]
    )


def _review_row(data, user_id, service, star, fingerprint):
    submitted = bool(data["submit"])
    return {
        "child_id": data["child_id"],
        "service_id": service["id"],
        "star_version_id": star["id"],
        "practitioner_id": user_id,
        "date": data["date"].isoformat(),
        "status": "submitted" if submitted else "draft",
        "notes": data["notes"],
        "internal_notes": data["internal_notes"],
        "content_hash": fingerprint,
        "submitted_at": date.today().isoformat() if submitted else None,
    }


def _delete_draft_contents(db, review_id):
    db.execute("DELETE FROM readings WHERE review_id = ?", [review_id])
    db.execute("DELETE FROM target_outcomes WHERE review_id = ?", [review_id])
    db.execute("DELETE FROM targets WHERE set_in_review_id = ?", [review_id])


def _insert_contents(db, review_id, data, star, service):
    domain_ids = {domain["key"]: domain["id"] for domain in star["domains"]}
    insert_readings(db, review_id, domain_ids, data["readings"])
    scores = {key: reading["score"] for key, reading in data["readings"].items()}
    db["targets"].insert_all(
        {
            "child_id": data["child_id"],
            "service_id": service["id"],
            "domain_key": target["domain"],
            "set_in_review_id": review_id,
            "description": target["description"],
            "start_score": scores.get(target["domain"]),
            "target_score": target["target_score"],
            "due_date": target["due_date"].isoformat(),
        }
        for target in data["targets"]
    )
    domain_of = {
        row[0]: row[1]
        for row in db.execute(
            "SELECT id, domain_key FROM targets WHERE child_id = ? AND service_id = ?",
            [data["child_id"], service["id"]],
        )
    }
    db["target_outcomes"].insert_all(
        {
            "target_id": closing["target_id"],
            "review_id": review_id,
            "outcome": closing["outcome"],
            "reason": (closing["reason"] or "").strip() or None,
            "score_at_close": scores.get(domain_of[closing["target_id"]]),
        }
        for closing in data["target_outcomes"]
    )


def insert_readings(db, review_id, domain_ids, readings):
    db["readings"].insert_all(
        {
            "review_id": review_id,
            "domain_id": domain_ids[key],
            "score": reading["score"],
            "not_assessed_reason": reading["not_assessed_reason"],
        }
        for key, reading in readings.items()
    )


def amend_review(db, user_id, review_id, data):
    """Store an amendment as the next version; the old version stays, no longer counted.

    Targets, outcomes and family views move to the new version so that they follow
    the review that counts.
    """
    with write_transaction(db):
        old = get_review(db, review_id)
        if old is None or old["status"] != "submitted" or not old["is_latest"]:
            raise ValidationError(
                {"review": ["Only the latest version of a submitted review can be amended."]}
            )
        if not access.may_review(db, user_id, old["child_id"], old["service_id"]):
            raise ValidationError({"review": ["This child is not on your caseload for this service."]})
        star = stars.load_version(db, old["star_version_id"])
        errors = {}
        check_readings(star, data["readings"], errors)
        if errors:
            raise ValidationError(errors)
        new_row = {
            key: old[key]
            for key in ("series_id", "child_id", "service_id", "star_version_id", "date", "status")
        }
        new_row.update(
            uuid=str(uuidlib.uuid4()),
            version=old["version"] + 1,
            practitioner_id=user_id,
            notes=data["notes"],
            internal_notes=data["internal_notes"],
            amendment_reason=data["amendment_reason"].strip(),
            content_hash=content_hash(data),
            submitted_at=date.today().isoformat(),
        )
        new_id = db["reviews"].insert(new_row).last_pk
        db.execute("UPDATE reviews SET is_latest = 0 WHERE id = ?", [review_id])
        domain_ids = {domain["key"]: domain["id"] for domain in star["domains"]}
        insert_readings(db, new_id, domain_ids, data["readings"])
        _move_to_version(db, review_id, new_id, data["readings"])
        audit.record(db, user_id, "amend review", old["child_id"], f"review {review_id} -> {new_id}")
        return review_as_dict(db, new_id)


def _move_to_version(db, old_id, new_id, readings):
    db.execute("UPDATE targets SET set_in_review_id = ? WHERE set_in_review_id = ?", [new_id, old_id])
    db.execute("UPDATE target_outcomes SET review_id = ? WHERE review_id = ?", [new_id, old_id])
    db.execute("UPDATE family_views SET review_id = ? WHERE review_id = ?", [new_id, old_id])
    # A target starts from the reading at the review that set it: the amended reading.
    for key, reading in readings.items():
        db.execute(
            "UPDATE targets SET start_score = ? WHERE set_in_review_id = ? AND domain_key = ?",
            [reading["score"], new_id, key],
        )
        db.execute(
            """UPDATE target_outcomes SET score_at_close = ? WHERE review_id = ?
               AND target_id IN (SELECT id FROM targets WHERE domain_key = ?)""",
            [reading["score"], new_id, key],
        )


def readings_of(db, review_id):
    """{domain key: reading row} for one review."""
    return {
        row["key"]: row
        for row in db.query(
            """SELECT d.key, d.label, rd.score, rd.not_assessed_reason
               FROM readings rd JOIN domains d ON d.id = rd.domain_id
               WHERE rd.review_id = ? ORDER BY d.position""",
            [review_id],
        )
    }


def review_as_dict(db, review_id):
    """A review as the API returns it: the same shape as the body that stores it."""
    review = get_review(db, review_id)
    service_key = db.execute("SELECT key FROM services WHERE id = ?", [review["service_id"]]).fetchone()[0]
    readings = {
        key: row["score"] if row["score"] is not None else {"not_assessed": row["not_assessed_reason"]}
        for key, row in readings_of(db, review_id).items()
    }
    targets = [
        {
            "id": row["id"],
            "domain": row["domain_key"],
            "description": row["description"],
            "target_score": row["target_score"],
            "due_date": row["due_date"],
        }
        for row in db.query("SELECT * FROM targets WHERE set_in_review_id = ? ORDER BY id", [review_id])
    ]
    outcomes = [
        {"target_id": row["target_id"], "outcome": row["outcome"], "reason": row["reason"]}
        for row in db.query(
            "SELECT * FROM target_outcomes WHERE review_id = ? ORDER BY target_id", [review_id]
        )
    ]
    return {
        "id": review["id"],
        "uuid": review["uuid"],
        "child_id": review["child_id"],
        "service": service_key,
        "date": review["date"],
        "status": review["status"],
        "version": review["version"],
        "is_latest": bool(review["is_latest"]),
        "readings": readings,
        "targets": targets,
        "target_outcomes": outcomes,
        "notes": review["notes"],
        "internal_notes": review["internal_notes"],
        "amendment_reason": review["amendment_reason"],
    }


# --- Bulk history: generated or migrated reviews in big batches --------------------------------

REVIEW_COLUMNS = (
    "id",
    "uuid",
    "series_id",
    "version",
    "is_latest",
    "child_id",
    "service_id",
    "star_version_id",
    "practitioner_id",
    "date",
    "status",
    "notes",
    "internal_notes",
    "amendment_reason",
    "content_hash",
    "submitted_at",
)
TARGET_COLUMNS = (
    "id",
    "child_id",
    "service_id",
    "domain_key",
    "set_in_review_id",
    "description",
    "start_score",
    "target_score",
    "due_date",
)


def next_ids(db):
    """The next free review and target ids, for rows that refer to each other within one batch."""
    return {
        "reviews": db.execute("SELECT coalesce(max(id), 0) + 1 FROM reviews").fetchone()[0],
        "targets": db.execute("SELECT coalesce(max(id), 0) + 1 FROM targets").fetchone()[0],
    }


def _bulk_review_row(row):
    """A review row as save_review writes it, defaults filled in (submitted, version 1, latest)."""
    full = {
        "series_id": row["id"],
        "version": 1,
        "is_latest": 1,
        "status": "submitted",
        "notes": "",
        "internal_notes": "",
        "amendment_reason": None,
        **row,
    }
    full.setdefault("submitted_at", full["date"] if full["status"] == "submitted" else None)
    full.setdefault(
        "content_hash",
        hashlib.sha256(
            f"{full['uuid']}|{full['child_id']}|{full['service_id']}|{full['date']}|{full['version']}".encode()
        ).hexdigest(),
    )
    return tuple(full[column] for column in REVIEW_COLUMNS)


def bulk_insert(db, reviews=(), readings=(), targets=(), target_outcomes=(), family_views=()):
    """Insert already-checked history in one transaction, with executemany: the same tables and
    row shapes as save_review/amend_review, without their per-review checks and audit entries.

    For generated data (the demo's history, bench/scorecard.py's region-scale database) and
    migrations of past records; a practitioner's review always goes through save_review.
    Rows carry explicit ids (start from next_ids) so that they can refer to each other:
      reviews: dicts with id, uuid, child_id, service_id, star_version_id, practitioner_id, date
        (optional: status, version, series_id, is_latest, notes, internal_notes, amendment_reason);
      readings: (review_id, domain_id, score, not_assessed_reason) tuples;
      targets: dicts with TARGET_COLUMNS;
      target_outcomes: (target_id, review_id, outcome, reason, score_at_close) tuples;
      family_views: (review_id, user_id, rating, comment, created_at) tuples.
    """
    with write_transaction(db):
        db.conn.executemany(
            f"INSERT INTO reviews ({', '.join(REVIEW_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(REVIEW_COLUMNS))})",
            (_bulk_review_row(row) for row in reviews),
        )
        db.conn.executemany(
            "INSERT INTO readings (review_id, domain_id, score, not_assessed_reason) VALUES (?, ?, ?, ?)",
            readings,
        )
        db.conn.executemany(
            f"INSERT INTO targets ({', '.join(TARGET_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(TARGET_COLUMNS))})",
            (tuple(row[column] for column in TARGET_COLUMNS) for row in targets),
        )
        db.conn.executemany(
            "INSERT INTO target_outcomes (target_id, review_id, outcome, reason, score_at_close) "
            "VALUES (?, ?, ?, ?, ?)",
            target_outcomes,
        )
        db.conn.executemany(
            "INSERT INTO family_views (review_id, user_id, rating, comment, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            family_views,
        )
