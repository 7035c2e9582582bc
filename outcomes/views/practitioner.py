"""Practitioner pages: the caseload, the child's star, and the review form."""

import re
import uuid as uuidlib
from collections import namedtuple
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from .. import access, audit, charts, child_view, children, family, gas, mail, reviews, services, stars
from ..db import get_db
from ..errors import flatten_errors
from ..rules import counted, latest_first
from ..schemas import (
    AmendmentSchema,
    CaseloadQuerySchema,
    InvitationEmailSchema,
    ReviewSchema,
    WithdrawalSchema,
)
from ..security import submitted_form
from ..targets import OUTCOME_LABELS, closed_targets, open_targets
from ..wording import uk_date
from .auth import role_required
from .forms import form_page, validation_errors

bp = Blueprint("practitioner", __name__)
NEW_TARGET_ROWS = 3
# Building a schema deep-copies its fields (about 0.2 ms, a twentieth of the caseload page); one
# instance loads every query string, as it keeps nothing of one between loads (as api.REVIEW_SCHEMA).
CASELOAD_QUERY = CaseloadQuerySchema()


def staff_required(*roles):
    """Signed in with one of `roles`; anyone else gets 403."""
    return role_required(*roles, message="This page is for staff of the service.")


def visible_child_or_404(child_id):
    """The child, if this user may see them; 404 otherwise so no record's existence leaks."""
    db = get_db()
    child = children.get_child(db, child_id)
    if child is None or not access.may_see_child(db, current_user, child_id):
        abort(404, description="No such child on your caseloads.")
    return child


def visible_review_or_404(review_id):
    """(review, child) when the user may see that service's record of the child; 404 otherwise."""
    db = get_db()
    stored = reviews.get_review(db, review_id)
    if stored is None:
        abort(404, description="No such review.")
    child = visible_child_or_404(stored["child_id"])
    if stored["service_id"] not in {s["id"] for s in access.visible_services(db, current_user, child["id"])}:
        abort(404, description="No such review.")
    return stored, child


def reviewable_service_or_404(child_id, service_key):
    db = get_db()
    service = services.service_by_key(db, service_key or "")
    if service is None or not access.may_review(db, current_user.id, child_id, service["id"]):
        abort(404, description="No such child on that service's caseload.")
    return service


@bp.route("/caseload")
@staff_required("practitioner")
def caseload():
    """Her own children first, searchable, sortable, filtered and paged in the query string."""
    db = get_db()
    services = children.practitioner_services(db, current_user.id)
    try:
        query, errors = CASELOAD_QUERY.load(request.args.to_dict()), {}
    except ValidationError as error:
        query, errors = CASELOAD_QUERY.load({}), flatten_errors(error.messages)
    chosen = next((s for s in services if s["key"] == query["service"]), None)
    chosen = chosen or (services[0] if services else None)
    listing = children.caseload_page(db, current_user.id, chosen["id"], query) if chosen else None
    audit.record_reads(
        db,
        current_user.id,
        "view caseload",
        [r["id"] for r in listing["rows"]] if listing else [],
        chosen and chosen["key"],
    )
    return render_template(
        "practitioner/caseload.html",
        services=services,
        service=chosen,
        listing=listing,
        query=query,
        values=dict(query, **request.args.to_dict()),
        errors=errors,
        rows=_caseload_rows_shown(listing["rows"]) if listing else [],
    ), (400 if errors else 200)


CaseloadRow = namedtuple("CaseloadRow", "url name drafts born last_review next_due flag")


def _caseload_rows_shown(rows):
    """What each of the page's rows shows, worked out here once: the template only places it (a
    row's look-ups, filters and link built in Jinja cost more than the rest of the page). `flag` is
    "overdue", "due_soon" (with a due date) or None."""
    from . import row_url_prefix  # the package imports this module

    link = row_url_prefix("practitioner.child", "child_id")
    return [
        CaseloadRow(
            link + str(row["id"]),
            f"{row['given_name']} {row['family_name']}",
            row["drafts"],
            uk_date(row["date_of_birth"]),
            uk_date(row["last_review"], "Not yet reviewed"),
            uk_date(row["next_due"]) if row["next_due"] else "Now",
            "overdue" if row["overdue"] else "due_soon" if row["due_soon"] and row["next_due"] else None,
        )
        for row in rows
    ]


@bp.route("/children/<int:child_id>")
@staff_required("practitioner", "admin")
def child(child_id):
    child = visible_child_or_404(child_id)
    db = get_db()
    # The account itself, not flask-login's proxy, which looks it up again at every mention.
    user = current_user._get_current_object()
    reviewable = access.reviewable_service_ids(db, user.id, child_id)
    sections = [
        dict(_staff_section(db, child_id, service), may_review=service["id"] in reviewable)
        for service in access.visible_services(db, user, child_id)
    ]
    # A read's audit entry is one autocommit INSERT (audit.record): no write lock held while reading.
    audit.record(db, user.id, "view child record", child_id)
    return render_template(
        "practitioner/child.html",
        child=child,
        sections=sections,
        outcome_labels=OUTCOME_LABELS,
        level_labels=gas.LEVEL_LABELS,
        may_invite=_may_invite(reviewable),
        invitations=family.revocable_invitations(db, {"id": user.id, "role": user.role}, child_id),
    )


@bp.route("/children/<int:child_id>/report")
@staff_required("practitioner", "admin")
def child_report(child_id):
    """Everything this viewer may see of the child, a printed page set per service: the evidence
    for an EHC plan annual review. Only the services access.visible_services allows."""
    child = visible_child_or_404(child_id)
    db = get_db()
    sections = [
        _staff_section(db, child_id, service, include_drafts=False)
        for service in access.visible_services(db, current_user, child_id)
    ]
    audit.record(db, current_user.id, "view child report", child_id)
    return render_template(
        "practitioner/report.html",
        child=child,
        sections=sections,
        outcome_labels=OUTCOME_LABELS,
        today=date.today(),
    )


def _staff_section(db, child_id, service, include_drafts=True):
    """One service's part of the child's page and report: the star over time with the newest
    family view (the radar shows first, latest and the family's), targets, views and history."""
    views = family.views_for_staff(db, child_id, service["id"])
    chart = family.star_with_family_view(db, child_id, service["id"], staff_views=views)
    closed = closed_targets(db, child_id, service["id"])
    return {
        "service": service,
        "chart": chart,
        "spec": charts.star_chart(chart, "Family's view") if chart else None,
        "readings": charts.readings_rows(chart) if chart else [],
        "family_views": views,
        "open_targets": open_targets(db, child_id, service["id"]),
        "closed_targets": closed,
        "attainment": gas.year_summary(closed, date.today()),
        "history": children.review_history(db, child_id, service["id"], include_drafts=include_drafts),
    }


def _may_invite(reviewable_ids):
    """Admins, and practitioners who review the child for some service, may invite a family."""
    return current_user.role == "admin" or bool(reviewable_ids)


@bp.route("/children/<int:child_id>/invitations", methods=["POST"])
@staff_required("practitioner", "admin")
def invite_family(child_id):
    """Make a one-time invitation code for a parent or carer; shown once, on a printable page
    that can also email it."""
    child = _invitable_child_or_404(child_id)
    code, expires_at = family.create_invitation(get_db(), child_id, current_user.id)
    return _invitation_page(child, code, expires_at)


@bp.route("/children/<int:child_id>/invitations/email", methods=["POST"])
@staff_required("practitioner", "admin")
def email_invitation(child_id):
    """Email an open invitation's code and link to the parent. A refused address or a failed send
    shows the same page again with the code, so the invitation is never lost and can be re-sent."""
    child = _invitable_child_or_404(child_id)
    db, form = get_db(), submitted_form()
    invitation = family.open_invitation(db, form.get("code", ""), child_id)
    if invitation is None:
        abort(400, description="That invitation is no longer open. Make a new one from the child's page.")
    code, expires_at = family.display(family.normalise(form["code"])), invitation["expires_at"]
    sent_to = None
    with validation_errors() as errors:
        data = InvitationEmailSchema().load(form)
        try:
            mail.send_invitation(data["email"], code, _join_link(code), expires_at)
        except mail.NotSent as failure:
            raise ValidationError({"email": [failure.message + " The code below still works."]}) from None
        audit.record(db, current_user.id, "email invitation", child_id, f"invitation {invitation['id']}")
        sent_to = data["email"]
    page = _invitation_page(
        child, code, expires_at, errors=errors, sent_to=sent_to, email=form.get("email", "")
    )
    return page, 422 if errors else 200


def _invitable_child_or_404(child_id):
    child = visible_child_or_404(child_id)
    if not _may_invite(access.reviewable_service_ids(get_db(), current_user.id, child_id)):
        abort(404, description="No such child on your caseloads.")
    return child


def _join_link(code):
    return mail.absolute_url("family.join", code=code)


def _invitation_page(child, code, expires_at, errors=None, sent_to=None, email=""):
    return render_template(
        "practitioner/invitation.html",
        child=child,
        code=code,
        link=_join_link(code),
        expires_at=expires_at,
        mail_on=mail.configured(),
        errors=errors or {},
        sent_to=sent_to,
        email=email,
    )


@bp.route("/children/<int:child_id>/reviews/new", methods=["GET", "POST"])
@staff_required("practitioner")
def new_review(child_id):
    child = visible_child_or_404(child_id)
    service = reviewable_service_or_404(child_id, request.values.get("service"))
    star = stars.load_version(get_db(), stars.current_version_id(get_db(), service["id"]))
    return _review_form(child, service, star, existing=None)


@bp.route("/reviews/<int:review_id>/edit", methods=["GET", "POST"])
@staff_required("practitioner")
def edit_review(review_id):
    db = get_db()
    review = reviews.get_review(db, review_id)
    if review is None or review["status"] != "draft" or review["practitioner_id"] != current_user.id:
        abort(404, description="No such draft review of yours.")
    child = visible_child_or_404(review["child_id"])
    service = db["services"].get(review["service_id"])
    star = stars.load_version(db, review["star_version_id"])
    return _review_form(child, service, star, existing=review)


def _review_form(child, service, star, existing):
    """Show the review form, or store what it sent (as a draft or submitted)."""
    db = get_db()
    targets = open_targets(db, child["id"], service["id"])
    errors, duplicate = {}, None
    if request.method == "POST":
        body = review_body_from_form(request.form, child["id"], service["key"], star, targets)
        try:
            data = ReviewSchema().load(body)
            before = reviews.review_by_uuid(db, str(data["uuid"]))
            review, created = reviews.save_review(db, current_user.id, data)
        except ValidationError as error:
            errors = flatten_errors(error.messages)
        except reviews.AlreadyRecorded as error:
            errors, duplicate = {"date": [str(error)]}, error.existing
        except reviews.Conflict as error:
            if error.existing["status"] != "submitted":
                errors = {"uuid": [str(error)]}
            else:
                # This very form was sent before (a page restored by Back): nothing new is stored.
                return _already_recorded(child, error.existing)
        else:
            if review["status"] == "submitted" and not created:
                return _already_recorded(child, review)
            mail.notify_new_review(db, before, review)
            if review["status"] == "submitted":
                # Flashes ride in the signed but readable cookie: no child's name in them.
                flash("Review submitted.")
                return redirect(url_for("practitioner.child", child_id=child["id"]))
            flash("Draft saved. You can come back to it from the child's page.")
            return redirect(url_for("practitioner.edit_review", review_id=review["id"]))
        values = submitted_form()
    elif existing:
        values = values_from_review(reviews.review_as_dict(db, existing["id"]))
    else:
        values = {
            "uuid": str(uuidlib.uuid4()),
            "date": date.today().isoformat(),
            "child_faces": str(child_view.default_faces(db, child["id"])),
        }
    if request.method == "GET":
        # Refused input changes nothing, the audit trail included; the GET was audited.
        audit.record(db, current_user.id, "open review form", child["id"], service["key"])
    context = review_form_context(star, targets, values, errors)
    context["previous"] = previous_readings(db, child["id"], service["id"], values.get("date"))
    return render_template(
        "practitioner/review_form.html",
        child=child,
        service=service,
        existing=existing,
        duplicate=duplicate,
        **context,
    ), (422 if errors else 200)


def _already_recorded(child, review):
    flash(
        f"This review of {children.full_name(child)} is already recorded (sent before); "
        "nothing new was saved. Amend it here if something needs changing."
    )
    return redirect(url_for("practitioner.review", review_id=review["id"]))


def previous_readings(db, child_id, service_id, day):
    """{domain key: {score, date}}: each domain's latest counted reading before `day`, for context."""
    day = day if isinstance(day, str) and day else date.today().isoformat()
    rows = db.query(
        f"""SELECT d.key, rd.score, rd.not_assessed_reason, r.date FROM reviews r
            JOIN readings rd ON rd.review_id = r.id JOIN domains d ON d.id = rd.domain_id
            WHERE r.child_id = ? AND r.service_id = ? AND r.date <= ? AND {counted()}
            ORDER BY {latest_first()}""",
        [child_id, service_id, day],
    )
    previous = {}
    for row in rows:
        previous.setdefault(row["key"], row)
    return previous


def review_form_context(star, targets, values, errors=None):
    """What the review form's templates (_review_fields.html) need.

    The online form and the copy the offline bundle keeps both come from here, so they match.
    Errors come in the form's order, each with the name the form gives its field.
    """
    # The body lists outcomes in the order of the form's targets (review_body_from_form).
    closing = [target["description"] for target in targets if values.get(f"outcome-{target['id']}")]
    errors, labels = reviews.describe_errors(star, errors or {}, closing)
    return {
        "star": star,
        "values": values,
        "errors": errors,
        "labels": labels,
        "previous": {},
        "targets": [_with_suggestions(target, star, values) for target in targets],
        "closing_choices": CLOSING_CHOICES,
        "weight_choices": gas.WEIGHT_CHOICES,
        "new_target_rows": range(NEW_TARGET_ROWS),
        "child_faces": {n: child_view.faces_for_form(n) for n in child_view.SCALES},
        "today": date.today().isoformat(),
    }


# What closing a target can say: its attainment level (met, partly met or not met read off it), or
# withdrawn. The select's values are the levels as text, so a level is what the form sends.
CLOSING_CHOICES = [
    (str(level), f"{gas.LEVEL_LABELS[level]} ({OUTCOME_LABELS[gas.outcome_of(level)].lower()})")
    for level in gas.LEVELS
] + [("withdrawn", OUTCOME_LABELS["withdrawn"])]


def _with_suggestions(target, star, values):
    """A target with the level suggested for every possible reading, and the one to pre-select."""
    scale = range(star["scale_min"], star["scale_max"] + 1)
    by_score = {}
    for score in scale:
        level = gas.suggested_level(target["start_score"], target["target_score"], score)
        by_score[score] = None if level is None else str(level)
    entered = values.get(f"reading-{target['domain_key']}", "")
    chosen = values.get(f"outcome-{target['id']}")
    if chosen is None and entered.isdigit() and target["due_date"] <= values.get("date", ""):
        chosen = by_score.get(int(entered), "")
    return dict(target, suggestions=by_score, chosen=chosen or "")


def _number_or_text(value):
    """Digits become an int; anything else stays text so the schema names the field's error."""
    value = (value or "").strip()
    return int(value) if value.isdigit() else value


def review_body_from_form(form, child_id, service_key, star, targets):
    """Turn the review form into the same body POST /api/v1/reviews takes."""
    readings = {}
    for domain in star["domains"]:
        key = domain["key"]
        value = form.get(f"reading-{key}", "").strip()
        if value == "na":
            readings[key] = {"not_assessed": form.get(f"reason-{key}", "")}
        elif value:
            readings[key] = _number_or_text(value)
    new_targets = []
    for row in range(NEW_TARGET_ROWS):
        fields = {
            name: form.get(f"target-{row}-{name}", "").strip()
            for name in ("domain", "description", "target_score", "due_date", "importance", "difficulty")
        }
        if fields["description"] or fields["target_score"]:
            target = {
                "domain": fields["domain"],
                "description": fields["description"],
                "target_score": _number_or_text(fields["target_score"]),
            }
            if fields["due_date"]:
                target["due_date"] = fields["due_date"]
            for name in ("importance", "difficulty"):
                if fields[name]:
                    target[name] = _number_or_text(fields[name])
            new_targets.append(target)
    closing = []
    for target in targets:
        choice = form.get(f"outcome-{target['id']}", "").strip()
        if choice:
            entry = {"target_id": target["id"], **closing_from_choice(choice)}
            reason = form.get(f"outcome-reason-{target['id']}", "").strip()
            if reason:
                entry["reason"] = reason
            closing.append(entry)
    return {
        "uuid": form.get("uuid", ""),
        "child_id": child_id,
        "service": service_key,
        "date": form.get("date", ""),
        "readings": readings,
        "targets": new_targets,
        "target_outcomes": closing,
        "notes": form.get("notes", ""),
        "internal_notes": form.get("internal_notes", ""),
        "child_view": child_view_from_form(form, star),
        "submit": form.get("action") == "submit",
    }


def child_view_from_form(form, star):
    """The faces the child tapped on the chosen scale, or None when they tapped none."""
    faces = form.get("child_faces", "").strip()
    readings = {
        domain["key"]: _number_or_text(form.get(f"child{faces}-{domain['key']}"))
        for domain in star["domains"]
        if form.get(f"child{faces}-{domain['key']}", "").strip()
    }
    return {"faces": _number_or_text(faces), "readings": readings} if readings else None


def closing_from_choice(choice):
    """A level ("-2".."2") closes a target at that level; an outcome's name (older forms) as that outcome."""
    if re.fullmatch(r"[+-]?[0-9]+", choice):
        return {"gas_level": int(choice)}
    return {"outcome": choice}


def values_from_review(review):
    """Form field values for a stored review (a draft being continued, or one being amended)."""
    values = {key: review[key] for key in ("uuid", "date", "notes", "internal_notes")}
    for key, reading in review["readings"].items():
        if isinstance(reading, dict):
            values[f"reading-{key}"] = "na"
            values[f"reason-{key}"] = reading["not_assessed"]
        else:
            values[f"reading-{key}"] = str(reading)
    for row, target in enumerate(review["targets"]):
        for name in ("domain", "description", "target_score", "due_date"):
            values[f"target-{row}-{name}"] = str(target[name])
    if review.get("child_view"):
        faces = review["child_view"]["faces"]
        values["child_faces"] = str(faces)
        for key, face in review["child_view"]["readings"].items():
            values[f"child{faces}-{key}"] = str(face)
        for name in ("importance", "difficulty"):
            if target.get(name) is not None:
                values[f"target-{row}-{name}"] = str(target[name])
    for closing in review["target_outcomes"]:
        level = closing.get("gas_level")
        values[f"outcome-{closing['target_id']}"] = closing["outcome"] if level is None else str(level)
        values[f"outcome-reason-{closing['target_id']}"] = closing["reason"] or ""
    return values


@bp.route("/reviews/<int:review_id>")
@staff_required("practitioner", "admin")
def review(review_id):
    db = get_db()
    stored, child = visible_review_or_404(review_id)
    audit.record(db, current_user.id, "view review", child["id"], f"review {review_id}")
    return render_template(
        "practitioner/review.html",
        child=child,
        review=stored,
        level_labels=gas.LEVEL_LABELS,
        service=db["services"].get(stored["service_id"]),
        star=stars.load_version(db, stored["star_version_id"]),
        readings=reviews.readings_of(db, review_id),
        child_faces=child_view.of_review(db, review_id),
        face_words=child_view.FACE_WORDS,
        versions=[
            r
            for r in children.review_history(db, child["id"], stored["service_id"])
            if r["series_id"] == stored["series_id"]
        ],
        may_amend=reviews.counted_row(stored)
        and access.may_review(db, current_user.id, child["id"], stored["service_id"]),
        may_withdraw=reviews.counted_row(stored) and reviews.may_withdraw(db, current_user, stored),
        withdrawn_by=stored["withdrawn_by"] and db["users"].get(stored["withdrawn_by"])["name"],
        **reviews.targets_at(db, stored),
        outcome_labels=OUTCOME_LABELS,
        stage_name=stars.stage_name,
    )


@bp.route("/reviews/<int:review_id>/withdraw", methods=["GET", "POST"])
@staff_required("practitioner", "admin")
def withdraw(review_id):
    """Ask why, then withdraw a review entered in error (its author or an admin)."""
    db = get_db()
    stored, child = visible_review_or_404(review_id)
    if not (reviews.counted_row(stored) and reviews.may_withdraw(db, current_user, stored)):
        abort(404, description="No such review that you may withdraw.")
    errors, values = {}, {}
    if request.method == "POST":
        values = submitted_form()
        with validation_errors() as errors:
            reason = WithdrawalSchema().load(values)["reason"].strip()
            reviews.withdraw_review(db, current_user, stored["uuid"], reason)
            flash(f"Review of {stored['date']} withdrawn: it no longer counts, and stays in the history.")
            return redirect(url_for("practitioner.review", review_id=review_id))
    return form_page(
        "practitioner/withdraw.html",
        errors,
        child=child,
        review=stored,
        values=values,
        service=db["services"].get(stored["service_id"]),
    )


@bp.route("/reviews/<int:review_id>/discard", methods=["GET", "POST"])
@staff_required("practitioner")
def discard_draft(review_id):
    """Ask, then delete a draft of one's own."""
    db = get_db()
    stored = reviews.get_review(db, review_id)
    if stored is None or stored["status"] != "draft" or stored["practitioner_id"] != current_user.id:
        abort(404, description="No such draft review of yours.")
    child = visible_child_or_404(stored["child_id"])
    if request.method == "POST":
        reviews.discard_draft(db, current_user.id, stored["uuid"])
        flash(f"Draft of {stored['date']} discarded.")
        return redirect(url_for("practitioner.child", child_id=child["id"]))
    return render_template(
        "practitioner/discard.html",
        child=child,
        review=stored,
        service=db["services"].get(stored["service_id"]),
    )


@bp.route("/reviews/<int:review_id>/amend", methods=["GET", "POST"])
@staff_required("practitioner")
def amend(review_id):
    db = get_db()
    stored, child = visible_review_or_404(review_id)
    if not access.may_review(db, current_user.id, child["id"], stored["service_id"]):
        abort(404, description="No such review on your caseloads.")
    star = stars.load_version(db, stored["star_version_id"])
    targets = open_targets(db, child["id"], stored["service_id"], review_id)
    errors, duplicate = {}, None
    if request.method == "POST":
        body = review_body_from_form(request.form, child["id"], "", star, targets)
        # A field the form did not send stays as it was (the schema leaves it out).
        sent = {
            "date": "date" in request.form,
            "target_outcomes": any(k.startswith("outcome-") for k in request.form),
        }
        body = {
            key: body[key]
            for key in ("date", "readings", "notes", "internal_notes", "target_outcomes")
            if sent.get(key, True)
        }
        body["amendment_reason"] = request.form.get("amendment_reason", "")
        try:
            with validation_errors() as errors:
                amended = reviews.amend_review(db, current_user.id, review_id, AmendmentSchema().load(body))
                flash(
                    f"Review amended: version {amended['version']} now counts; "
                    "the earlier version is kept in the history."
                )
                return redirect(url_for("practitioner.review", review_id=amended["id"]))
        except reviews.AlreadyRecorded as error:
            errors, duplicate = {"date": [str(error)]}, error.existing
        values = submitted_form()
    else:
        values = values_from_review(reviews.review_as_dict(db, review_id))
        audit.record_reads(db, current_user.id, "open amend form", [child["id"]], f"review {review_id}")
    context = review_form_context(star, targets, values, errors)
    return form_page(
        "practitioner/amend.html",
        context.pop("errors"),
        child=child,
        review=stored,
        duplicate=duplicate,
        service=db["services"].get(stored["service_id"]),
        **context,
    )
