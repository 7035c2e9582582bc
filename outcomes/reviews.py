"""Reviews: checking one against its star and caseload, storing it once, amending it.

Functions take plain values and a sqlite-utils Database; no Flask imports.
"""

import hashlib
import json
import uuid as uuidlib
from datetime import date, datetime, timezone

from marshmallow import ValidationError

from . import access, audit, child_view, facts, gas, services, stars
from .db import read_snapshot, write_transaction
from .rules import counted, due_date, latest_first
from .targets import open_targets


class Conflict(Exception):
    """The UUID is already stored with different content (HTTP 409)."""

    def __init__(self, message, existing=None):
        super().__init__(message)
        self.existing = existing


class AlreadyRecorded(Conflict):
    """A counted review of this child by this service on this date exists (HTTP 409): one a day."""


class Refused(Exception):
    """This review is not in a state for that (HTTP 409): a draft or an earlier version withdrawn."""


def content_hash(data):
    """A stable fingerprint of a loaded review, to tell a re-send from a different review.

    A level that only restates its outcome and blank weights are left out, so a review sent before
    levels and weights existed keeps its fingerprint when it is sent again.
    """
    data = dict(data)
    if "targets" in data:
        data["targets"] = [_without(t, importance=None, difficulty=None) for t in data["targets"]]
    if "target_outcomes" in data:
        data["target_outcomes"] = [
            _without(o, gas_level=gas.level_of(o.get("outcome"))) for o in data["target_outcomes"]
        ]
    canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _without(entry, **defaults):
    return {k: v for k, v in entry.items() if not (k in defaults and v == defaults[k])}


def review_by_uuid(db, review_uuid):
    rows = list(db.query("SELECT * FROM reviews WHERE uuid = ?", [review_uuid]))
    return rows[0] if rows else None


def get_review(db, review_id):
    rows = list(db.query("SELECT * FROM reviews WHERE id = ?", [review_id]))
    return rows[0] if rows else None


def check_readings(star, readings, errors, prefix="readings", complete=True):
    """Every domain of the star read on its scale or not assessed with a reason; no others.

    A draft (`complete` False) may leave domains out; what it holds is checked the same way.
    """
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
    for key in keys - set(readings) if complete else ():
        problems[key] = ["Give a reading or mark it not assessed."]
    if problems:
        errors[prefix] = problems


def check_review(db, user_id, data, existing=None):
    """Check a loaded review against the database; returns (service, star) or raises.

    Raises ValidationError with {field: [messages]} so the caller treats it like a schema error.
    A draft is checked for what it holds; the rules about targets and the date's place among
    the child's other reviews wait until it is submitted.
    """
    service = _check_reviewer(db, user_id, data)
    version_id = existing["star_version_id"] if existing else stars.current_version_id(db, service["id"])
    star = stars.load_version(db, version_id)
    errors = {}
    check_date(db, data["child_id"], service, data["date"], errors)
    check_readings(star, data["readings"], errors, complete=data["submit"])
    child_view.check(star, data.get("child_view"), errors)
    _check_targets(star, data, service, errors)
    _check_against_targets(db, star, data, service, errors)
    if errors:
        raise ValidationError(errors)
    return service, star


def recheck_review(db, user_id, data, star):
    """check_review's checks that another writer could have made fail since it ran: the service, the
    caseload, one counted review a day, the date against the caseload's start and the open targets.
    Run under the write lock after check_review ran before it (the star and readings stand)."""
    service = _check_reviewer(db, user_id, data)
    errors = {}
    check_date(db, data["child_id"], service, data["date"], errors)
    if data["targets"] or data["target_outcomes"]:
        _check_against_targets(db, star, data, service, errors)
    if errors:
        raise ValidationError(errors)
    return service


def _check_reviewer(db, user_id, data):
    """The service, with the child on this practitioner's caseload for it; and, for a submitted
    review, none of the child by the service already counted that day. Returns the service."""
    service = services.service_by_key(db, data["service"])
    if service is None:
        raise ValidationError({"service": ["Unknown service."]})
    child = db.execute("SELECT id FROM children WHERE id = ?", [data["child_id"]]).fetchone()
    if child is None or not access.may_review(db, user_id, data["child_id"], service["id"]):
        raise ValidationError({"child_id": [f"This child is not on your {service['name']} caseload."]})
    if data["submit"]:
        # Said first: when the review is already recorded, nothing else about this one matters.
        same_day = same_day_review(db, data["child_id"], service["id"], data["date"].isoformat())
        if same_day:
            raise already_recorded(same_day)
    return service


def _check_against_targets(db, star, data, service, errors):
    if data["submit"]:
        targets = open_targets(db, data["child_id"], service["id"])
        _check_outcomes(data, targets, errors)
        _check_target_plausibility(db, star, data, service, targets, errors)


# The child's birth and first day on the service's caseload (any episode, discharged or not).
CHILD_DATES_SQL = """SELECT ch.date_of_birth, (SELECT min(c.started_on) FROM caseloads c
                                 WHERE c.child_id = ch.id AND c.service_id = :service_id)
                     FROM children ch WHERE ch.id = :child_id"""


def check_date(db, child_id, service, day, errors):
    """Not in the future, not before the child's birth, not before they joined this caseload."""
    born, joined = db.execute(CHILD_DATES_SQL, {"service_id": service["id"], "child_id": child_id}).fetchone()
    if day > date.today():
        errors["date"] = ["The review date cannot be in the future."]
    elif day < date.fromisoformat(born):
        errors["date"] = [f"The review date is before the child's date of birth ({born})."]
    elif joined and day.isoformat() < joined:
        errors["date"] = [
            f"The review date is before the child joined the {service['name']} caseload ({joined}). "
            "An admin can backdate the caseload start for earlier history."
        ]


def same_day_review(db, child_id, service_id, day, series_id=None):
    """The counted review of this child by this service on `day` (another series), or None."""
    rows = list(
        db.query(
            f"""SELECT r.* FROM reviews r
                WHERE r.child_id = ? AND r.service_id = ? AND r.date = ? AND {counted()}
                  AND r.series_id IS NOT ?
                ORDER BY {latest_first()} LIMIT 1""",
            [child_id, service_id, day, series_id],
        )
    )
    return rows[0] if rows else None


def already_recorded(review):
    return AlreadyRecorded(
        f"A review of this child by this service on {review['date']} is already recorded: "
        "amend that one instead.",
        review,
    )


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


def _check_outcomes(data, targets, errors):
    """Each outcome closes an open target once, at a review later than the one that set it."""
    set_on = {target["id"]: target["set_on"] for target in targets}
    seen = set()
    for index, closing in enumerate(data["target_outcomes"]):
        if closing["target_id"] not in set_on:
            message = "This is not an open target of this child for this service."
        elif closing["target_id"] in seen:
            message = "This target is closed twice in one review."
        elif data["date"].isoformat() <= set_on[closing["target_id"]]:
            message = (
                f"This target was set at the review of {set_on[closing['target_id']]}: "
                "only a later review can record its outcome."
            )
        else:
            seen.add(closing["target_id"])
            continue
        errors.setdefault("target_outcomes", {})[index] = {"target_id": [message]}


def _check_target_plausibility(db, star, data, service, targets, errors):
    """A target is not below the domain's current reading, and a domain has one open target."""
    if not isinstance(errors.get("targets", {}), dict):
        return
    closing = {c["target_id"] for c in data["target_outcomes"]}
    still_open = {t["domain_key"] for t in targets if t["id"] not in closing}
    current = current_scores(db, data["child_id"], service["id"], data["date"].isoformat())
    current.update({k: r["score"] for k, r in data["readings"].items() if r["score"] is not None})
    labels = {domain["key"]: domain["label"] for domain in star["domains"]}
    seen = set()
    for index, target in enumerate(data["targets"]):
        domain = target["domain"]
        if domain not in labels or index in errors.get("targets", {}):
            continue
        problems = {}
        if domain in still_open or domain in seen:
            problems["domain"] = [f"{labels[domain]} already has an open target for this service."]
        elif current.get(domain) is not None and target["target_score"] < current[domain]:
            problems["target_score"] = [
                f"The target is below the current reading of {current[domain]}: "
                f"set {current[domain]} to maintain it, or higher."
            ]
        seen.add(domain)
        if problems:
            errors.setdefault("targets", {})[index] = problems


def current_scores(db, child_id, service_id, before):
    """{domain key: the latest counted score before `before`}: the reading a target starts from."""
    scores = {}
    for key, score in db.execute(
        f"""SELECT d.key, rd.score FROM reviews r
            JOIN readings rd ON rd.review_id = r.id JOIN domains d ON d.id = rd.domain_id
            WHERE r.child_id = ? AND r.service_id = ? AND r.date < ? AND {counted()}
              AND rd.score IS NOT NULL
            ORDER BY {latest_first()}""",
        [child_id, service_id, before],
    ):
        scores.setdefault(key, score)
    return scores


def save_review(db, user_id, data):
    """Store a loaded review once per UUID. Returns (review, created).

    A re-send with the same content returns the stored review; a draft may be replaced
    by its author; anything else under a known UUID raises Conflict, and a second counted
    review of the child by the service on one date raises AlreadyRecorded.
    """
    review_uuid = str(data["uuid"])
    fingerprint = content_hash(data)
    # Checked before the write lock, so a refused review or a re-send never queues for it and a new
    # one holds it only to re-check what another writer could have changed meanwhile, and to write.
    # One snapshot: the same review sent twice at once must not find the other's copy by its day
    # (a 409) having missed it by its UUID (a 200).
    with read_snapshot(db):
        seen = review_by_uuid(db, review_uuid)
        checked = _check_stored(db, user_id, data, seen, fingerprint)
    if checked is None:
        return review_as_dict(db, seen["id"]), False
    # The write lock is taken before looking the UUID up again, so concurrent sends queue here; the
    # scorecard's facts of the child and service are refreshed once, as it commits (facts.deferred).
    with facts.deferred(db):
        existing = review_by_uuid(db, review_uuid)
        if existing != seen:  # written by another request meanwhile: everything is checked again
            checked = _check_stored(db, user_id, data, existing, fingerprint)
            if checked is None:
                return review_as_dict(db, existing["id"]), False
        else:
            checked = (recheck_review(db, user_id, data, checked[1]), checked[1])
        review_id = _write(db, user_id, data, existing, checked, fingerprint)
    # Read after the commit: the review's UUID is its sender's, so nobody else changes it in between.
    return review_as_dict(db, review_id), existing is None


def _check_stored(db, user_id, data, existing, fingerprint):
    """None when `existing` (the review stored under the UUID, or None) is this very review sent
    again; else (service, star) when it may be stored, or raises Conflict or ValidationError."""
    if existing and existing["content_hash"] == fingerprint:
        return None
    if existing and not _may_replace_draft(existing, user_id, data):
        raise Conflict("A different review with this UUID is already stored.", existing)
    service, star = check_review(db, user_id, data, existing)
    if existing and existing["service_id"] != service["id"]:
        raise Conflict("This UUID belongs to a draft review for another service.", existing)
    return service, star


def _write(db, user_id, data, existing, checked, fingerprint):
    """The review's rows (under the write lock, checked); returns its id."""
    service, star = checked
    row = _review_row(data, user_id, service, star, fingerprint)
    if existing:
        _delete_draft_contents(db, existing["id"])
        review_id = existing["id"]
        db.execute(
            f"UPDATE reviews SET {', '.join(f'{column} = ?' for column in row)} WHERE id = ?",
            [*row.values(), review_id],
        )
    else:
        row["uuid"] = str(data["uuid"])
        review_id = db.conn.execute(
            f"INSERT INTO reviews ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        ).lastrowid
        db.execute("UPDATE reviews SET series_id = ? WHERE id = ?", [review_id, review_id])
    _insert_contents(db, review_id, data, star, service)
    action = "submit review" if data["submit"] else "save draft review"
    audit.record(db, user_id, action, data["child_id"], f"review {review_id}")
    return review_id


def _may_replace_draft(existing, user_id, data):
    return (
        existing["status"] == "draft"
        and existing["practitioner_id"] == user_id
        and existing["child_id"] == data["child_id"]
    )


def _review_row(data, user_id, service, star, fingerprint):
    submitted = bool(data["submit"])
    # A draft never holds a target: its plan waits as JSON until it is submitted.
    plan = None if submitted else json.dumps(_plan(data), default=str)
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
        "draft_plan": plan,
    }


def _plan(data):
    return {"targets": data["targets"], "target_outcomes": data["target_outcomes"]}


def _delete_draft_contents(db, review_id):
    db.execute("DELETE FROM readings WHERE review_id = ?", [review_id])
    db.execute("DELETE FROM child_readings WHERE review_id = ?", [review_id])


def _insert_contents(db, review_id, data, star, service):
    domain_ids = {domain["key"]: domain["id"] for domain in star["domains"]}
    insert_readings(db, review_id, domain_ids, data["readings"])
    child_view.store(db, review_id, domain_ids, data.get("child_view"))
    if data["submit"]:
        insert_targets(db, review_id, data, service["id"])
        insert_outcomes(db, review_id, data["target_outcomes"], data["readings"])


def insert_targets(db, review_id, data, service_id):
    scores = {key: reading["score"] for key, reading in data["readings"].items()}
    db["targets"].insert_all(
        {
            "child_id": data["child_id"],
            "service_id": service_id,
            "domain_key": target["domain"],
            "set_in_review_id": review_id,
            "description": target["description"],
            "start_score": scores.get(target["domain"]),
            "target_score": target["target_score"],
            "due_date": str(target["due_date"]),
            "importance": target.get("importance"),
            "difficulty": target.get("difficulty"),
        }
        for target in data["targets"]
    )


def insert_outcomes(db, review_id, outcomes, readings):
    """Record the outcomes this review closes, each with the domain's reading at this review."""
    scores = {key: reading["score"] for key, reading in readings.items()}
    ids = [closing["target_id"] for closing in outcomes]
    if not ids:
        return
    domain_of = dict(
        db.execute(
            f"SELECT id, domain_key FROM targets WHERE id IN ({', '.join('?' * len(ids))})", ids
        ).fetchall()
    )
    db["target_outcomes"].insert_all(
        {
            "target_id": closing["target_id"],
            "review_id": review_id,
            "outcome": closing["outcome"],
            "gas_level": closing.get("gas_level", gas.level_of(closing["outcome"])),
            "reason": (closing["reason"] or "").strip() or None,
            "score_at_close": scores.get(domain_of[closing["target_id"]]),
        }
        for closing in outcomes
    )


def insert_readings(db, review_id, domain_ids, readings):
    db.conn.executemany(
        "INSERT INTO readings (review_id, domain_id, score, not_assessed_reason) VALUES (?, ?, ?, ?)",
        [
            (review_id, domain_ids[key], reading["score"], reading["not_assessed_reason"])
            for key, reading in readings.items()
        ],
    )


def amend_review(db, user_id, review_id, data):
    """Store an amendment as the next version; the old version stays, no longer counted.

    The date, readings, notes and the outcomes this review records may change, under the same
    rules as a new review. Targets, outcomes and family views move to the new version so that
    they follow the review that counts.
    """
    with facts.deferred(db):
        old = get_review(db, review_id)
        if old is None or not counted_row(old):
            raise ValidationError(
                {"review": ["Only the latest version of a submitted review can be amended."]}
            )
        service = db["services"].get(old["service_id"])
        if not access.may_review(db, user_id, old["child_id"], old["service_id"]):
            raise ValidationError({"review": ["This child is not on your caseload for this service."]})
        star = stars.load_version(db, old["star_version_id"])
        data = dict(data, child_id=old["child_id"], targets=[], submit=True)
        data.setdefault("date", date.fromisoformat(old["date"]))
        data.setdefault("target_outcomes", _outcomes_of(db, review_id))
        same_day = same_day_review(
            db, old["child_id"], old["service_id"], data["date"].isoformat(), old["series_id"]
        )
        if same_day:
            raise already_recorded(same_day)
        _check_amendment(db, star, service, old, data)
        new_row = {
            key: old[key] for key in ("series_id", "child_id", "service_id", "star_version_id", "status")
        }
        new_row.update(
            uuid=str(uuidlib.uuid4()),
            date=data["date"].isoformat(),
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
        child_view.copy_to_version(db, review_id, new_id)
        db.execute("DELETE FROM target_outcomes WHERE review_id = ?", [new_id])
        insert_outcomes(db, new_id, data["target_outcomes"], data["readings"])
        audit.record(db, user_id, "amend review", old["child_id"], f"review {review_id} -> {new_id}")
        return review_as_dict(db, new_id)


def counted_row(review):
    """rules.counted for a review row already read (a page deciding which buttons to show)."""
    return review["status"] == "submitted" and review["is_latest"] and review["withdrawn_at"] is None


def _outcomes_of(db, review_id):
    return [
        {
            "target_id": row["target_id"],
            "outcome": row["outcome"],
            "gas_level": row["gas_level"],
            "reason": row["reason"],
        }
        for row in db.query(
            "SELECT * FROM target_outcomes WHERE review_id = ? ORDER BY target_id", [review_id]
        )
    ]


def _check_amendment(db, star, service, old, data):
    """The new date and outcomes obey a new review's rules; the targets this review set must
    still have been set before any review that closed them."""
    errors = {}
    check_date(db, old["child_id"], service, data["date"], errors)
    check_readings(star, data["readings"], errors)
    targets = open_targets(db, old["child_id"], old["service_id"], old["id"])
    _check_outcomes(data, targets, errors)
    first_close = db.execute(
        f"""SELECT min(r.date) FROM targets t JOIN target_outcomes o ON o.target_id = t.id
            JOIN reviews r ON r.id = o.review_id AND {counted()}
            WHERE t.set_in_review_id = ? AND r.id <> ?""",
        [old["id"], old["id"]],
    ).fetchone()[0]
    if "date" not in errors and first_close and data["date"].isoformat() >= first_close:
        errors["date"] = [
            f"A target set at this review was closed at the review of {first_close}: "
            "this review must stay before that one."
        ]
    if errors:
        raise ValidationError(errors)


def withdraw_review(db, user, review_uuid, reason):
    """Withdraw a review entered in error: it stays in the history, marked, and stops counting.

    Only its author or an admin. Targets it set are withdrawn (closed ones are marked so);
    outcomes it recorded are kept with it and their targets re-open.
    """
    with facts.deferred(db):
        review = review_by_uuid(db, review_uuid)
        if review is None or not may_withdraw(db, user, review):
            raise LookupError("No such review of yours.")
        if review["withdrawn_at"] is not None:
            return review_as_dict(db, review["id"])
        if not counted_row(review):
            raise Refused("Only the latest version of a submitted review can be withdrawn; discard a draft.")
        outcomes = _outcomes_of(db, review["id"])
        db.execute("DELETE FROM target_outcomes WHERE review_id = ?", [review["id"]])
        db.execute(
            """UPDATE target_outcomes SET outcome = 'withdrawn', reason = ?
               WHERE target_id IN (SELECT id FROM targets WHERE set_in_review_id = ?)""",
            [f"The review that set this target was withdrawn: {reason}", review["id"]],
        )
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        db.execute(
            """UPDATE reviews SET withdrawn_at = ?, withdrawn_by = ?, withdrawn_reason = ?,
               withdrawn_outcomes = ? WHERE series_id = ?""",
            [now, user.id, reason, json.dumps(outcomes), review["series_id"]],
        )
        audit.record(db, user.id, "withdraw review", review["child_id"], f"review {review['id']}: {reason}")
        return review_as_dict(db, review["id"])


def may_withdraw(db, user, review):
    """Its author (who wrote version 1 or this version) or an admin."""
    if user.role == "admin":
        return True
    return (
        review["practitioner_id"] == user.id
        or db.execute(
            "SELECT 1 FROM reviews WHERE series_id = ? AND practitioner_id = ? AND version = 1",
            [review["series_id"], user.id],
        ).fetchone()
        is not None
    )


def targets_at(db, review):
    """{targets_set, targets_closed} at this review: what the review page lists.

    A withdrawn review lists the outcomes it had recorded (kept aside; their targets re-opened).
    """
    if review["status"] == "draft":
        plan = json.loads(review["draft_plan"] or '{"targets": [], "target_outcomes": []}')
        return {"targets_set": plan["targets"], "targets_closed": []}
    targets_set = list(
        db.query(
            "SELECT *, domain_key AS domain FROM targets WHERE set_in_review_id = ? ORDER BY id",
            [review["id"]],
        )
    )
    outcomes = (
        json.loads(review["withdrawn_outcomes"])
        if review["withdrawn_outcomes"]
        else _outcomes_of(db, review["id"])
    )
    described = {
        row[0]: row[1]
        for row in db.execute(
            f"SELECT id, description FROM targets WHERE id IN ({', '.join('?' * len(outcomes))})",
            [o["target_id"] for o in outcomes],
        )
    }
    closed = [dict(o, description=described.get(o["target_id"], "")) for o in outcomes]
    return {"targets_set": targets_set, "targets_closed": closed}


def discard_draft(db, user_id, review_uuid):
    """Delete a draft: its author's only. A draft holds readings and a plan, nothing else."""
    with write_transaction(db):
        review = review_by_uuid(db, review_uuid)
        if review is None or review["status"] != "draft" or review["practitioner_id"] != user_id:
            raise LookupError("No such draft of yours.")
        _delete_draft_contents(db, review["id"])
        db.execute("DELETE FROM reviews WHERE id = ?", [review["id"]])
        audit.record(db, user_id, "discard draft review", review["child_id"], f"review {review['id']}")
        return review


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
            "importance": row["importance"],
            "difficulty": row["difficulty"],
        }
        for row in db.query("SELECT * FROM targets WHERE set_in_review_id = ? ORDER BY id", [review_id])
    ]
    outcomes = _outcomes_of(db, review_id)
    if review["status"] == "draft" and review["draft_plan"]:
        plan = json.loads(review["draft_plan"])
        targets, outcomes = plan["targets"], plan["target_outcomes"]
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
        "child_view": child_view.of_review(db, review_id),
        "amendment_reason": review["amendment_reason"],
        "withdrawn": None
        if review["withdrawn_at"] is None
        else {"at": review["withdrawn_at"], "reason": review["withdrawn_reason"]},
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
    # The scorecard's facts of each (child, service) touched are rebuilt once, at the end.
    with facts.deferred(db):
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


# --- Errors in words people use -----------------------------------------------------------------

FIELD_LABELS = {
    "uuid": "Review",
    "child_id": "Child",
    "service": "Service",
    "date": "Date of the review",
    "readings": "Readings",
    "targets": "New targets",
    "target_outcomes": "Targets to close",
    "notes": "Notes for the family",
    "internal_notes": "Internal notes",
    "child_view": "The child's view",
    "amendment_reason": "Why you are amending",
    "reason": "Why it is withdrawn",
}
TARGET_FIELDS = {
    "domain": "domain",
    "description": "what the child will be able to do",
    "target_score": "target reading",
    "due_date": "due date",
    "importance": "importance",
    "difficulty": "difficulty",
}


def describe_errors(star, errors, closing=()):
    """(errors in the order of the form, {field key: label}) for flattened review errors.

    `star` names the domains (None when unknown); `closing` holds the description of the target
    each entry of the body's target_outcomes closes, in the same order.
    """
    domains = {d["key"]: (n, d["label"]) for n, d in enumerate(star["domains"])} if star else {}
    order = list(FIELD_LABELS)
    labels, ranks = {}, {}
    for key in errors:
        head, _, rest = key.partition(".")
        labels[key] = FIELD_LABELS.get(head, key)
        ranks[key] = (order.index(head) if head in order else len(order), 0, key)
        if head == "readings" and rest in domains:
            labels[key] = domains[rest][1]
            ranks[key] = (ranks[key][0], domains[rest][0], key)
        elif head == "targets" and rest:
            row, _, name = rest.partition(".")
            labels[key] = f"New target {int(row) + 1}" + (
                f": {TARGET_FIELDS[name]}" if name in TARGET_FIELDS else ""
            )
            ranks[key] = (ranks[key][0], int(row), key)
        elif head == "child_view" and rest.startswith("readings.") and rest[9:] in domains:
            labels[key] = f"The child's view: {domains[rest[9:]][1]}"
            ranks[key] = (ranks[key][0], domains[rest[9:]][0], key)
        elif head == "target_outcomes" and rest:
            row = int(rest.partition(".")[0])
            labels[key] = f"Target \u201c{closing[row]}\u201d" if row < len(closing) else "Target to close"
            ranks[key] = (ranks[key][0], row, key)
    ordered = {key: errors[key] for key in sorted(errors, key=lambda k: ranks[k])}
    return ordered, labels
