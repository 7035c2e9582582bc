"""Family pages: their own child's star, their view and their rating — and nobody else's child.

Every route with an id checks the family link on each request and answers 404 otherwise.
"""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from .. import access, charts, family, fft, gas, mail, stars, users
from ..db import get_db
from ..schemas import FamilyViewSchema, InvitationAcceptSchema, ReviewNoticesSchema
from ..security import submitted_form
from ..targets import OUTCOME_LABELS
from .auth import role_required, sign_in
from .forms import form_page, validation_errors

bp = Blueprint("family", __name__, url_prefix="/family")
NOT_LINKED = "No such child linked to your account."


family_required = role_required("family", message="This page is for families.")


def linked_child_or_404(child_id):
    child = family.linked_child(get_db(), current_user.id, child_id)
    if child is None:
        abort(404, description=NOT_LINKED)
    return child


def linked_review_or_404(review_id):
    review = family.linked_review(get_db(), current_user.id, review_id)
    if review is None:
        abort(404, description="No such review of a child linked to your account.")
    return review


@bp.route("/")
@family_required
def home():
    linked = family.linked_children(get_db(), current_user.id)
    if len(linked) == 1:
        return redirect(url_for("family.child", child_id=linked[0]["id"]))
    return render_template("family/home.html", children=linked)


def _section(db, child_id, service):
    chart = family.star_with_family_view(db, child_id, service["id"], current_user.id)
    targets = family.targets_for_family(db, child_id, service["id"])
    return {
        "service": service,
        "chart": chart,
        "spec": charts.star_chart(chart, "Your view") if chart else None,
        "targets": targets,
        "attainment": gas.year_summary(targets, date.today()),
        **family.next_review_due(db, child_id, service),
        "labels": family.domain_labels(db, service["id"], chart),
    }


def _service_or_404(db, child_id, service_key):
    service = next(
        (s for s in access.visible_services(db, current_user, child_id) if s["key"] == service_key), None
    )
    if service is None:
        abort(404, description="That service has no record of this child.")
    return service


@bp.route("/children/<int:child_id>")
@family_required
def child(child_id):
    """One service at a time (a plain link per service, so it works without JavaScript), opening
    on the service with the newest review; views that are due are offered at the top."""
    child = linked_child_or_404(child_id)
    db = get_db()
    services = access.visible_services(db, current_user, child_id)
    timeline = family.timeline(db, current_user.id, child_id)
    key = request.args.get("service")
    service = _service_or_404(db, child_id, key) if key else family.opening_service(services, timeline)
    return render_template(
        "family/child.html",
        child=child,
        linked=family.linked_children(db, current_user.id),
        services=services,
        section=_section(db, child_id, service) if service else None,
        views_due=family.views_due(timeline),
        timeline=[review for review in timeline if service and review["service_id"] == service["id"]],
        **_words(),
    )


@bp.route("/children/<int:child_id>/print/<service_key>")
@family_required
def print_star(child_id, service_key):
    child = linked_child_or_404(child_id)
    db = get_db()
    section = _section(db, child_id, _service_or_404(db, child_id, service_key))
    return render_template("family/print.html", child=child, section=section, today=date.today(), **_words())


def _words():
    return {
        "stage_name": stars.stage_name,
        "outcome_labels": OUTCOME_LABELS,
        "outcome_words": family.OUTCOME_WORDS,
        "next_step": family.NEXT_STEP,
        "fft_labels": fft.LABELS,
        "fft_question": fft.QUESTION,
        "fft_answers": [(key, label) for key, label, _ in fft.ANSWERS],
        "fft_good": fft.WHAT_WAS_GOOD,
        "fft_better": fft.COULD_BE_BETTER,
    }


@bp.route("/reviews/<int:review_id>/view", methods=["GET", "POST"])
@family_required
def add_view(review_id):
    review = linked_review_or_404(review_id)
    db = get_db()
    child = linked_child_or_404(review["child_id"])
    star = stars.load_version(db, review["star_version_id"])
    existing = family.view_of(db, current_user.id, review_id)
    errors = {}
    if request.method == "POST":
        with validation_errors() as errors:
            data = FamilyViewSchema().load(_view_body(request.form, star))
            family.save_view(db, current_user.id, review_id, data)
            flash("Thank you. Your view is saved, and the practitioner will see it beside their readings.")
            return redirect(url_for("family.child", child_id=child["id"], _anchor=f"review-{review_id}"))
        # A reading's message goes by its field, not by marshmallow's 'value' of the readings dict.
        errors = {key.removesuffix(".value"): messages for key, messages in errors.items()}
        values = submitted_form()
    elif existing:
        values = {f"reading-{key}": str(score) for key, score in existing["readings"].items()}
        values.update(
            answer=existing["fft_answer"] or "",
            what_was_good=existing["what_was_good"],
            could_be_better=existing["could_be_better"],
            comment=existing["comment"],
        )
    else:
        values = {}
    return form_page(
        "family/view_form.html",
        errors,
        child=child,
        review=review,
        star=star,
        values=values,
        existing=existing,
        open=family.window_open(review),
        closes=family.window_closes(review).isoformat(),
        practitioner=_practitioner_scores(db, review_id),
        labels=_field_labels(star),
        **_words(),
    )


def _field_labels(star):
    labels = {
        "answer": fft.QUESTION,
        "what_was_good": fft.WHAT_WAS_GOOD,
        "could_be_better": fft.COULD_BE_BETTER,
        "comment": "Comment",
        "review_id": "Review",
    }
    labels.update({f"readings.{d['key']}": f"Your reading for {d['label']}" for d in star["domains"]})
    return labels


def _practitioner_scores(db, review_id):
    return {
        key: score
        for key, score in db.execute(
            "SELECT d.key, rd.score FROM readings rd JOIN domains d ON d.id = rd.domain_id "
            "WHERE rd.review_id = ?",
            [review_id],
        )
    }


def _view_body(form, star):
    """The form as FamilyViewSchema takes it: blank readings are left out (each one is optional)."""
    readings = {}
    for domain in star["domains"]:
        value = form.get(f"reading-{domain['key']}", "").strip()
        if value:
            readings[domain["key"]] = value
    body = {
        "readings": readings,
        "comment": form.get("comment", ""),
        "what_was_good": form.get("what_was_good", ""),
        "could_be_better": form.get("could_be_better", ""),
    }
    if form.get("answer", "").strip():
        body["answer"] = form["answer"].strip()
    return body


@bp.route("/notices", methods=["GET", "POST"])
@family_required
def notices():
    """A parent's choice of an email when a new review of their child is published (off unless asked)."""
    db, errors = get_db(), {}
    wanted = family.wants_review_notices(db, current_user.id)
    if request.method == "POST":
        with validation_errors() as errors:
            wanted = ReviewNoticesSchema().load(submitted_form())["review_notices"]
            family.set_review_notices(db, current_user.id, wanted)
            flash("We will email you when a new review is added." if wanted else "We will not email you.")
            return redirect(url_for("family.notices"))
    return form_page("family/notices.html", errors, wanted=wanted, mail_on=mail.configured())


@bp.route("/join", methods=["GET", "POST"])
def join():
    """Accept an invitation: no sign-in needed, the code is the key."""
    errors = {}
    if request.method == "GET" and request.args.get("code"):
        # The code moves from the link into the session, and on to an address without it (so it
        # stays out of history, Referer headers and later log lines).
        session["invitation_code"] = request.args["code"][:100]
        return redirect(url_for("family.join"), 303)
    values = {"code": session.get("invitation_code", "")}
    if request.method == "POST":
        form = submitted_form()
        # Passwords are never sent back into the page.
        values = {key: value for key, value in form.items() if key not in ("password", "confirm")}
        with validation_errors() as errors:
            try:
                row = family.redeem(
                    get_db(), InvitationAcceptSchema().load(form), address=request.remote_addr or ""
                )
            except users.TooManyAttempts as wait:
                page, _ = form_page("family/join.html", {"_schema": [wait.message]}, values=values)
                return page, 429, {"Retry-After": str(wait.seconds)}
            sign_in(row)
            flash("Welcome. Your account is ready, and your child's star is below.")
            return redirect(url_for("family.home"))
    return form_page("family/join.html", errors, values=values)
