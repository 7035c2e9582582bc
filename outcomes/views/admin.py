"""Admin pages: services, stars, people, caseloads, import and the audit trail.

Thin views: parse the form with a schema, call a domain function, render or redirect.
"""

import io
import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from .. import (
    audit,
    charts,
    child_view,
    children,
    family,
    importer,
    mail,
    retention,
    sen,
    services,
    stars,
    subject_access,
    users,
    wording,
)
from ..db import get_db, write_transaction
from ..schemas import (
    ActiveSchema,
    AuditFilterSchema,
    ChildSchema,
    DischargeSchema,
    ExistingChildOnCaseloadSchema,
    ImportConfirmSchema,
    MoveSchema,
    NewChildOnCaseloadSchema,
    PublishSchema,
    ServiceSchema,
    ServiceUpdateSchema,
    StaffSchema,
    StaffUpdateSchema,
    StarSchema,
)
from .auth import role_required
from .forms import all_messages, flash_if_refused, form_page, unconfirmed, validation_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE = 100
STAR_ROWS = 12
MEMBERSHIP_LISTS = ("practitioner_of", "manager_of")


admin_required = role_required("admin", message="This page is for administrators.")


def form_data(lists=()):
    """The posted form without its CSRF token or confirmation step's mark (see forms.unconfirmed);
    blank fields dropped so 'required' names them."""
    data = {}
    for name in request.form:
        if name in ("csrf_token", "confirmed"):
            continue
        if name in lists:
            data[name] = [value for value in request.form.getlist(name) if value.strip()]
        elif request.form[name].strip():
            data[name] = request.form[name].strip()
    for name in lists:
        data.setdefault(name, [])
    return data


def load(schema, data):
    """(loaded, {}) or (None, {field: [messages]})."""
    with validation_errors(MEMBERSHIP_LISTS) as errors:
        return schema.load(data), {}
    return None, errors


def posted_or_400(schema):
    """The posted form loaded by `schema`; 400 when a button sent what no page offers."""
    data, errors = load(schema, form_data())
    if errors:
        abort(400, description=all_messages(errors))
    return data


def found_or_404(row, what):
    if row is None:
        abort(404, description=f"No such {what}.")
    return row


@bp.route("/")
@admin_required
def home():
    db = get_db()
    counts = {
        "services": db.execute("SELECT count(*) FROM services WHERE retired_at IS NULL").fetchone()[0],
        "stars": db["stars"].count,
        "people": db.execute("SELECT count(*) FROM users WHERE active = 1").fetchone()[0],
        "children": db.execute(
            "SELECT count(DISTINCT child_id) FROM caseloads WHERE discharged_on IS NULL"
        ).fetchone()[0],
    }
    return render_template("admin/home.html", counts=counts)


# --- Services ---------------------------------------------------------------------------------


@bp.route("/services", methods=["GET", "POST"])
@admin_required
def service_list():
    db, errors, values = get_db(), {}, {}
    if request.method == "POST":
        values = form_data()
        with validation_errors() as errors:
            data = ServiceSchema().load(values)
            services.create_service(db, data)
            flash(f"Service {data['name']} created. Publish a star for it on the Stars page.")
            return redirect(url_for("admin.service_list"))
    return form_page("admin/services.html", errors, services=services.list_services(db), values=values)


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
@admin_required
def service_edit(service_id):
    db = get_db()
    service = found_or_404(services.get_service(db, service_id), "service")
    errors, values = {}, dict(service)
    if request.method == "POST":
        values = form_data()
        with validation_errors() as errors:
            data = ServiceUpdateSchema().load(values)
            services.update_service(db, service_id, data)
            flash(f"Service {data['name']} saved.")
            return redirect(url_for("admin.service_list"))
    return form_page(
        "admin/service_edit.html",
        errors,
        service=service,
        values=values,
        open_caseload=len(children.service_caseload(db, service_id)),
    )


@bp.route("/services/<int:service_id>/retire", methods=["POST"])
@admin_required
def service_retire(service_id):
    db = get_db()
    service = found_or_404(services.get_service(db, service_id), "service")
    with flash_if_refused():
        discharged = services.retire_service(db, service_id, current_user.id)
        flash(
            f"{service['name']} retired; {discharged} children discharged from its caseload. "
            "Its history is kept."
        )
    return redirect(url_for("admin.service_list"))


# --- Stars ------------------------------------------------------------------------------------


def star_body_from_form():
    """The star editor's fields as the nested body StarSchema loads (empty domain rows skipped)."""
    data = form_data()
    body = {
        name: data[name]
        for name in ("key", "name", "scale_min", "scale_max", "meaningful_change")
        if name in data
    }
    body["stages"] = [request.form.get(f"stage-{n}", "").strip() for n in range(1, 6)]
    domains = []
    for row in range(STAR_ROWS):
        fields = {
            name: request.form.get(f"domain-{row}-{name}", "").strip()
            for name in ("key", "label", "description", "position", "child_wording")
        }
        if fields["label"] or fields["description"]:
            domains.append({name: value for name, value in fields.items() if value})
    body["domains"] = domains
    return body


def editor_values(body):
    """Field values for re-showing the editor, padded to STAR_ROWS domain rows."""
    domains = list(body.get("domains", []))
    return dict(body, domains=domains + [{}] * (STAR_ROWS - len(domains)))


@bp.route("/stars")
@admin_required
def star_list():
    return render_template("admin/stars.html", stars=stars.list_stars(get_db()))


@bp.route("/stars/new", methods=["GET", "POST"])
@admin_required
def star_new():
    errors = {}
    values = {
        "scale_min": 1,
        "scale_max": 10,
        "meaningful_change": 1,
        "stages": [stage[0] for stage in stars.DEFAULT_STAGES],
    }
    if request.method == "POST":
        values = star_body_from_form()
        with validation_errors() as errors:
            star_id = stars.save_new_star(get_db(), StarSchema().load(values))
            flash("Star saved as a draft. Preview it, then publish it for a service.")
            return redirect(url_for("admin.star_edit", star_id=star_id))
    return form_page(
        "admin/star_edit.html",
        errors,
        star=None,
        values=editor_values(values),
        versions=[],
        services=services.active_services(get_db()),
        rows=range(STAR_ROWS),
    )


@bp.route("/stars/<int:star_id>", methods=["GET", "POST"])
@admin_required
def star_edit(star_id):
    db = get_db()
    star = found_or_404(stars.get_star(db, star_id), "star")
    errors = {}
    latest = stars.load_version(db, stars.latest_version_id(db, star_id))
    values = dict(stars.form_values(latest), meaningful_change=f"{star['meaningful_change']:g}")
    if request.method == "POST":
        values = star_body_from_form()
        values.pop("key", None)
        with validation_errors() as errors:
            _, new_version = stars.save_star(db, star_id, StarSchema().load(values))
            flash(
                "Saved as a new draft version: reviews already made keep the version they used."
                if new_version
                else "Draft saved."
            )
            return redirect(url_for("admin.star_edit", star_id=star_id))
    return form_page(
        "admin/star_edit.html",
        errors,
        star=star,
        values=editor_values(values),
        versions=stars.versions(db, star_id),
        latest=latest,
        frozen=stars.is_frozen(db, latest["id"]),
        services=services.active_services(db),
        rows=range(STAR_ROWS),
    )


@bp.route("/stars/<int:star_id>/preview")
@admin_required
def star_preview(star_id):
    db = get_db()
    found_or_404(stars.get_star(db, star_id), "star")
    version = stars.load_version(db, stars.latest_version_id(db, star_id))
    first, latest = stars.example_readings(version)
    return render_template(
        "admin/star_preview.html",
        star=version,
        first=first,
        latest=latest,
        spec=charts.example_chart(
            version, [("First review (example)", first), ("Latest review (example)", latest)]
        ),
        star_id=star_id,
        stage_name=stars.stage_name,
        faces=child_view.faces_for_form(5),
    )


@bp.route("/stars/<int:star_id>/publish", methods=["POST"])
@admin_required
def star_publish(star_id):
    db = get_db()
    star = found_or_404(stars.get_star(db, star_id), "star")
    service_id = posted_or_400(PublishSchema())["service_id"]
    with flash_if_refused():
        version = stars.publish(db, star_id, service_id)
        where = services.get_service(db, service_id)["name"] if service_id else "the services using it"
        flash(f"{star['name']} version {version} published: new reviews for {where} use it.")
    return redirect(url_for("admin.star_edit", star_id=star_id))


# --- People -----------------------------------------------------------------------------------


@bp.route("/people")
@admin_required
def people_list():
    return render_template("admin/people.html", people=users.list_people(get_db()))


def _password_link_page(person, token, new):
    """Email the one-time link when mail is configured (the page then never shows it); otherwise,
    or when the send fails (said why), the link is shown to pass on by hand, so it is never lost."""
    link = mail.absolute_url("auth.reset_password_link", token=token)
    sent, failure = False, None
    if mail.configured():
        try:
            mail.send_password_link(person, link, new)
            sent = True
        except mail.NotSent as error:
            failure = error.message
    return render_template(
        "admin/reset_link.html", person=person, link=None if sent else link, new=new, failure=failure
    )


@bp.route("/people/new", methods=["GET", "POST"])
@admin_required
def person_new():
    db, errors, values = get_db(), {}, {"role": "practitioner"}
    if request.method == "POST":
        values = form_data(lists=MEMBERSHIP_LISTS)
        with validation_errors(MEMBERSHIP_LISTS) as errors:
            user_id, token = users.create_staff(db, StaffSchema().load(values))
            return _password_link_page(users.get_person(db, user_id), token, new=True)
    return form_page(
        "admin/person_edit.html", errors, person=None, values=values, services=services.active_services(db)
    )


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@admin_required
def person_edit(user_id):
    db = get_db()
    person = found_or_404(users.get_person(db, user_id), "person")
    errors = {}
    held = users.memberships(db, user_id)
    values = dict(
        person,
        practitioner_of=[str(i) for i in held["practitioner"]],
        manager_of=[str(i) for i in held["manager"]],
    )
    if request.method == "POST":
        values = form_data(lists=MEMBERSHIP_LISTS)
        with validation_errors(MEMBERSHIP_LISTS) as errors:
            data = StaffUpdateSchema().load(values)
            users.update_staff(db, user_id, data, current_user.id)
            flash(f"{data['name']} saved.")
            return redirect(url_for("admin.people_list"))
    return form_page(
        "admin/person_edit.html", errors, person=person, values=values, services=services.active_services(db)
    )


@bp.route("/people/<int:user_id>/reset", methods=["POST"])
@admin_required
def person_reset(user_id):
    db = get_db()
    person = found_or_404(users.get_person(db, user_id), "person")
    with flash_if_refused():
        token = users.create_reset(db, user_id)
        return _password_link_page(person, token, new=False)
    return redirect(url_for("admin.person_edit", user_id=user_id))


@bp.route("/people/<int:user_id>/active", methods=["POST"])
@admin_required
def person_active(user_id):
    db = get_db()
    person = found_or_404(users.get_person(db, user_id), "person")
    active = posted_or_400(ActiveSchema())["active"]
    if not active and (
        page := unconfirmed(
            f"Deactivate {person['name']}?",
            f"{person['name']} will no longer be able to sign in, and every session they have open ends. "
            "Their reviews and history stay; an admin can reactivate the account later.",
            f"Yes, deactivate {person['name']}",
            url_for("admin.person_edit", user_id=user_id),
        )
    ):
        return page
    with flash_if_refused():
        users.set_active(db, user_id, active, current_user.id)
        flash(
            f"{person['name']} "
            f"{'reactivated' if active else 'deactivated: they can no longer sign in; their reviews stay'}."
        )
    return redirect(url_for("admin.person_edit", user_id=user_id))


@bp.route("/people/<int:user_id>/sign-out", methods=["POST"])
@admin_required
def person_sign_out(user_id):
    """End every session of this account, on every device, at once (a lost tablet, a leaver)."""
    person = found_or_404(users.get_person(get_db(), user_id), "person")
    ended = users.sign_out_everywhere(get_db(), user_id)
    flash(f"{person['name']} is signed out everywhere ({ended} session{'' if ended == 1 else 's'} ended).")
    return redirect(url_for("admin.person_edit", user_id=user_id))


# --- Caseloads and children -------------------------------------------------------------------


@bp.route("/caseloads")
@admin_required
def caseload_list():
    return render_template("admin/caseloads.html", services=services.active_services(get_db()))


@bp.route("/services/<int:service_id>/caseload", methods=["GET", "POST"])
@admin_required
def service_caseload(service_id):
    """The service's caseload, with forms to add a new child or one already on record."""
    db = get_db()
    service = found_or_404(services.get_service(db, service_id), "service")
    errors, values, form = {}, {}, request.form.get("form", "")
    if request.method == "POST":
        values = form_data()
        values.pop("form", None)
        values["service_id"] = str(service_id)
        schema = NewChildOnCaseloadSchema() if form == "new" else ExistingChildOnCaseloadSchema()
        with validation_errors() as errors:
            child_id = _add_child(db, form, schema.load(values))
            # Flashes ride in the signed but readable cookie: the record number, not the name.
            flash(f"Child record {child_id} added to the {service['name']} caseload.")
            return redirect(url_for("admin.service_caseload", service_id=service_id))
    rows = children.service_caseload(db, service_id, include_discharged=request.args.get("all") == "1")
    audit.record_reads(db, current_user.id, "view caseload", [r["child_id"] for r in rows], service["key"])
    return form_page(
        "admin/service_caseload.html",
        errors,
        service=service,
        values=values,
        form=form,
        rows=rows,
        practitioners=children.practitioners_of(db, service_id),
        sen_statuses=sen.SEN_STATUSES,
        need_choices=sen.NEED_CHOICES,
    )


def _add_child(db, form, data):
    if form == "new":
        return children.create_child_on_caseload(db, current_user.id, data)
    child = children.find_child(db, data["child"])
    if child is None:
        raise ValidationError({"child": ["No child has that record number, NHS number or local id."]})
    children.add_to_caseload(db, current_user.id, child["id"], data)
    return child["id"]


@bp.route("/caseloads/<int:caseload_id>/move", methods=["POST"])
@admin_required
def caseload_move(caseload_id):
    db = get_db()
    entry = found_or_404(children.get_caseload(db, caseload_id), "caseload entry")
    with flash_if_refused():
        # "back" only says which page to return to; the schema knows the practitioner alone.
        data = {key: value for key, value in form_data().items() if key != "back"}
        children.move(db, current_user.id, caseload_id, MoveSchema().load(data)["practitioner_id"])
        flash("Moved to the chosen practitioner's list.")
    if request.form.get("back") == "child":
        return redirect(url_for("admin.child", child_id=entry["child_id"]))
    return redirect(url_for("admin.service_caseload", service_id=entry["service_id"]))


@bp.route("/caseloads/<int:caseload_id>/discharge", methods=["POST"])
@admin_required
def caseload_discharge(caseload_id):
    db = get_db()
    entry = found_or_404(children.get_caseload(db, caseload_id), "caseload entry")
    back = url_for("admin.child", child_id=entry["child_id"])
    with flash_if_refused():
        day = DischargeSchema().load(form_data())["discharged_on"]
        ending = children.discharge_day(entry, day)
        child = children.get_child(db, entry["child_id"])
        name = f"{child['given_name']} {child['family_name']}"
        page = unconfirmed(
            f"Discharge {name} from {entry['service_name']}?",
            f"{name} leaves the {entry['service_name']} caseload on {wording.uk_date_text(ending)}: no "
            "more reviews are due and their practitioner no longer sees them on the caseload. Their "
            "history stays.",
            f"Yes, discharge {name}",
            back,
        )
        if page:
            return page
        children.discharge(db, current_user.id, caseload_id, day)
        flash("Discharged; the episode stays in the child's history.")
    return redirect(back)


@bp.route("/children")
@admin_required
def child_search():
    query = request.args.get("q", "").strip()[:100]
    found = children.search_children(get_db(), query) if query else []
    # The results show NHS numbers: each child found is a read of their record.
    audit.record_reads(get_db(), current_user.id, "child search", [c["id"] for c in found], "admin")
    return render_template("admin/children.html", query=query, found=found)


@bp.route("/children/<int:child_id>", methods=["GET", "POST"])
@admin_required
def child(child_id):
    db = get_db()
    record = found_or_404(children.get_child(db, child_id), "child")
    errors, values = {}, dict(record)
    if request.method == "POST":
        values = form_data()
        with validation_errors() as errors:
            children.update_child(db, current_user.id, child_id, ChildSchema().load(values))
            flash("The child's details are saved.")
            return redirect(url_for("admin.child", child_id=child_id))
    else:
        audit.record(db, current_user.id, "view child record", child_id, "admin")
    episodes = children.child_episodes(db, child_id)
    return form_page(
        "admin/child.html",
        errors,
        child=record,
        values=values,
        episodes=episodes,
        parents=family.linked_parents(db, child_id),
        invitations=family.open_invitations(db, child_id),
        erased=retention.is_erased(db, child_id),
        sen_statuses=sen.SEN_STATUSES,
        need_choices=sen.NEED_CHOICES,
        practitioners={
            e["service_id"]: children.practitioners_of(db, e["service_id"])
            for e in episodes
            if not e["discharged_on"]
        },
    )


@bp.route("/children/<int:child_id>/subject-access.json")
@admin_required
def subject_access_export(child_id):
    db = get_db()
    found_or_404(children.get_child(db, child_id), "child")
    with write_transaction(db):
        audit.record(db, current_user.id, "subject access export", child_id, "")
    body = json.dumps(subject_access.export(db, child_id), indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=subject-access-child-{child_id}.json"},
    )


# --- Import -----------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@admin_required
def import_children():
    """Upload a CSV: every problem listed, or a preview of what importing it would do."""
    if request.method == "GET":
        return render_template("admin/import.html", plan=None, errors={}, columns=importer.COLUMNS)
    upload = request.files.get("file")
    text, errors = None, {}
    if upload is None or not upload.filename:
        errors = {"file": ["Choose a CSV file to upload."]}
    else:
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            errors = {"file": ["The file is not UTF-8 text: save it from the spreadsheet as 'CSV UTF-8'."]}
    if errors:
        return render_template("admin/import.html", plan=None, errors=errors, columns=importer.COLUMNS), 422
    db = get_db()
    plan = importer.check(db, text)
    upload_id = importer.stage(db, current_user.id, upload.filename, text) if plan.clean else None
    return render_template(
        "admin/import.html",
        plan=plan,
        errors={},
        upload_id=upload_id,
        filename=upload.filename,
        columns=importer.COLUMNS,
    ), (200 if plan.clean else 422)


@bp.route("/import/confirm", methods=["POST"])
@admin_required
def import_confirm():
    """Import the previewed file: checked again, then all rows in one transaction or none."""
    db = get_db()
    data, errors = load(ImportConfirmSchema(), form_data())
    upload = None if errors else importer.staged(db, data["upload_id"], current_user.id)
    if upload is None:
        abort(404, description="That upload has been imported already or has expired: upload the file again.")
    plan = importer.import_staged(db, current_user.id, upload)
    if not plan.clean:
        return render_template(
            "admin/import.html", plan=plan, errors={}, filename=upload["filename"], columns=importer.COLUMNS
        ), 422
    counts = plan.counts
    flash(
        f"Imported {counts['rows']} rows: {counts['children_created']} children created, "
        f"{counts['children_updated']} updated, {counts['caseloads_added']} caseload entries added, "
        f"{counts['caseloads_updated']} changed, {counts['unchanged']} rows unchanged."
    )
    return redirect(url_for("admin.import_children"))


# --- Audit ------------------------------------------------------------------------------------


def _audit_filters():
    """(filters for audit.entries, page, errors, values) from the query string."""
    values = {name: value.strip() for name, value in request.args.items() if value.strip()}
    data, errors = load(AuditFilterSchema(), values)
    if errors:
        return None, 1, errors, values
    filters = {"user_id": data["user_id"], "date_from": data["date_from"], "date_to": data["date_to"]}
    filters["child_id"] = None
    if data["child"]:
        child = children.find_child(get_db(), data["child"])
        if child is None:
            return None, 1, {"child": ["No child has that record number, NHS number or local id."]}, values
        filters["child_id"] = child["id"]
    return filters, data["page"], {}, values


@bp.route("/audit")
@admin_required
def audit_log():
    db = get_db()
    filters, page, errors, values = _audit_filters()
    rows, total = [], 0
    if filters is not None:
        total = audit.count(db, **filters)
        rows = audit.entries(db, limit=AUDIT_PAGE, offset=(page - 1) * AUDIT_PAGE, **filters)
        _audit_own_viewing(db, "view audit trail", filters, rows)
    query = {k: v for k, v in values.items() if k != "page"}
    return render_template(
        "admin/audit.html",
        rows=rows,
        total=total,
        page=page,
        errors=errors,
        values=values,
        query=query,
        pages=max(1, -(-total // AUDIT_PAGE)),
        people=users.list_people(db),
    ), (422 if errors else 200)


def _audit_own_viewing(db, action, filters, rows):
    """The audit trail names children, so reading it is itself recorded, with its filters."""
    detail = " ".join(f"{key}={value}" for key, value in filters.items() if value is not None)
    with write_transaction(db):
        audit.record(db, current_user.id, action, filters.get("child_id"), f"{detail} ({len(rows)} entries)")


@bp.route("/audit.csv")
@admin_required
def audit_csv():
    filters, _, errors, _ = _audit_filters()
    if errors:
        abort(400, description=all_messages(errors))
    out = io.StringIO()
    rows = audit.entries(get_db(), **filters)
    _audit_own_viewing(get_db(), "download audit trail", filters, rows)
    audit.write_csv(rows, out)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit-log.csv"},
    )
