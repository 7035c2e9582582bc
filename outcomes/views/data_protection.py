"""Data-protection actions: erasing a child's record (with a confirmation step), anonymising records
past retention, unlinking a parent from a child and revoking an invitation.

Thin views over outcomes/retention.py and outcomes/family.py.
"""

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from .. import children, family, retention, users
from ..db import get_db
from ..schemas import ErasureConfirmSchema, InvitationRevokeSchema
from .auth import role_required
from .forms import form_page, unconfirmed, validation_errors

bp = Blueprint("data_protection", __name__)

admin_required = role_required("admin", message="This page is for administrators.")
inviter_required = role_required("practitioner", "admin", message="This is for practitioners and admins.")


def _child_or_404(child_id):
    child = children.get_child(get_db(), child_id)
    if child is None:
        abort(404, description="No such child.")
    return child


@bp.route("/admin/children/<int:child_id>/erase", methods=["GET", "POST"])
@admin_required
def erase(child_id):
    """A page saying what erasure removes and keeps; the record number typed again confirms it."""
    db = get_db()
    child = _child_or_404(child_id)
    if retention.is_erased(db, child_id):
        flash(f"Record {child_id} is already anonymised.")
        return redirect(url_for("admin.child", child_id=child_id))
    errors = {}
    if request.method == "POST":
        with validation_errors() as errors:
            data = ErasureConfirmSchema().load({k: v for k, v in request.form.items() if k != "csrf_token"})
            if data["confirm"].strip() != str(child_id):
                errors["confirm"] = [f"Type {child_id}, the record number, to confirm."]
            else:
                retention.erase(db, current_user.id, child_id, "request")
                flash(f"Record {child_id} is erased: nothing on it identifies the child any more.")
                return redirect(url_for("admin.child", child_id=child_id))
    return form_page("admin/erase.html", errors, child=child)


@bp.route("/admin/retention", methods=["GET", "POST"])
@admin_required
def retention_page():
    """Records past retention, and a button (the confirmation step is the count shown) to anonymise them."""
    db = get_db()
    years = current_app.config.get("RETENTION_YEARS", retention.DEFAULT_RETENTION_YEARS)
    if request.method == "POST":
        done = retention.anonymise_expired(db, current_user.id, years=years)
        flash(f"{done} records anonymised.")
        return redirect(url_for("data_protection.retention_page"))
    return form_page("admin/retention.html", {}, due=len(retention.expired(db, years=years)), years=years)


@bp.route("/admin/children/<int:child_id>/family/<int:user_id>/unlink", methods=["POST"])
@admin_required
def unlink(child_id, user_id):
    child = _child_or_404(child_id)
    parent = users.get_person(get_db(), user_id)
    if parent is None:
        abort(404, description="No such account.")
    if page := unconfirmed(
        f"Stop {parent['name']} seeing {child['given_name']} {child['family_name']}?",
        f"{parent['name']} ({parent['email']}) will no longer see {child['given_name']}'s star, targets or "
        "reviews, nor add their view. The views they gave stay in the record. To link them again, a "
        "practitioner makes a new invitation.",
        f"Yes, stop {parent['name']} seeing this child",
        url_for("admin.child", child_id=child_id),
    ):
        return page
    if family.unlink(get_db(), current_user.id, user_id, child_id):
        flash("That family account no longer sees this child.")
    else:
        flash("That account was not linked to this child.")
    return redirect(url_for("admin.child", child_id=child_id))


@bp.route("/children/<int:child_id>/invitations/revoke", methods=["POST"])
@inviter_required
def revoke_invitation(child_id):
    """End an unused invitation: its maker or an admin; anyone else gets 404 (no hint it exists)."""
    with validation_errors() as errors:
        data = InvitationRevokeSchema().load({"invitation_id": request.form.get("invitation_id")})
    if errors:
        abort(400, description=" ".join(sum(errors.values(), [])))
    user = {"id": current_user.id, "role": current_user.role}
    back = "admin.child" if current_user.role == "admin" else "practitioner.child"
    mine = [i["id"] for i in family.revocable_invitations(get_db(), user, child_id)]
    if data["invitation_id"] not in mine:
        abort(404, description="No such open invitation of yours.")
    if page := unconfirmed(
        "Revoke this invitation?",
        "Its code will stop working at once: a parent who has not used it yet cannot join with it. "
        "To invite them again, make a new invitation.",
        "Yes, revoke the invitation",
        url_for(back, child_id=child_id),
    ):
        return page
    if family.revoke_invitation(get_db(), user, data["invitation_id"], child_id) is None:
        abort(404, description="No such open invitation of yours.")
    flash("The invitation is revoked: its code no longer works.")
    return redirect(url_for(back, child_id=child_id))
