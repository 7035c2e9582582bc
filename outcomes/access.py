"""Who may see which child and which service: one SQL fragment per rule (DESIGN.md's "who uses
it"), the small functions every view asks, and the same fragments inside every list's query.

Each fragment is a subquery on the parameter :user_id. Admins see everything.
"""

from .rules import counted

# Staff: the services where the user is a practitioner member...
PRACTITIONER_SERVICES = """SELECT service_id FROM memberships
    WHERE user_id = :user_id AND role = 'practitioner'"""
# ...and the children on those services' open caseloads, as (child_id, service_id).
STAFF_CASELOADS = f"""SELECT child_id, service_id FROM caseloads
    WHERE discharged_on IS NULL AND service_id IN ({PRACTITIONER_SERVICES})"""
# Families: the children linked to the account.
FAMILY_CHILDREN = "SELECT child_id FROM family_links WHERE user_id = :user_id"
# Managers: the services where the user is a manager member (aggregates only, never a child).
MANAGED_SERVICES = "SELECT service_id FROM memberships WHERE user_id = :user_id AND role = 'manager'"


def _found(db, sql, params):
    return db.execute(sql, params).fetchone() is not None


def may_see_child(db, user, child_id):
    """Admins every child, practitioners their caseloads' children, families their linked ones."""
    params = {"user_id": user.id, "child_id": child_id}
    if user.role == "admin":
        return _found(db, "SELECT 1 FROM children WHERE id = :child_id", params)
    if user.role == "practitioner":
        return _found(db, f"SELECT 1 FROM ({STAFF_CASELOADS}) WHERE child_id = :child_id", params)
    if user.role == "family":
        return _found(db, f"SELECT 1 WHERE :child_id IN ({FAMILY_CHILDREN})", params)
    return False


def may_review(db, user_id, child_id, service_id):
    """A practitioner of the service, with the child on that service's open caseload."""
    return _found(
        db,
        f"SELECT 1 FROM ({STAFF_CASELOADS}) WHERE child_id = :child_id AND service_id = :service_id",
        {"user_id": user_id, "child_id": child_id, "service_id": service_id},
    )


def reviewable_service_ids(db, user_id, child_id):
    """may_review's answer for every service at once: the ids of the services this user reviews
    the child for (one query for a page that shows several services)."""
    return {
        row[0]
        for row in db.execute(
            f"SELECT service_id FROM ({STAFF_CASELOADS}) WHERE child_id = :child_id",
            {"user_id": user_id, "child_id": child_id},
        )
    }


def _child_services_sql(reviews_condition=""):
    """Every service with the child on its caseload, or with a review of them meeting the condition."""
    return f"""SELECT DISTINCT s.* FROM services s
        WHERE s.id IN (SELECT service_id FROM caseloads WHERE child_id = :child_id)
           OR s.id IN (SELECT service_id FROM reviews r WHERE r.child_id = :child_id {reviews_condition})
        ORDER BY s.name"""


def visible_services(db, user, child_id):
    """The services whose record of this child the user may see, in name order.

    Admins: every service seeing the child or with a review of them. Practitioners: their
    services with the child on the open caseload. Families, of a linked child: every service
    seeing the child or with a counted review of them.
    """
    params = {"user_id": user.id, "child_id": child_id}
    if user.role == "admin":
        sql = _child_services_sql()
    elif user.role == "practitioner":
        sql = f"""SELECT s.* FROM services s
                  WHERE s.id IN (SELECT service_id FROM ({STAFF_CASELOADS}) WHERE child_id = :child_id)
                  ORDER BY s.name"""
    elif user.role == "family" and may_see_child(db, user, child_id):
        sql = _child_services_sql(f"AND {counted()}")
    else:
        return []
    return list(db.query(sql, params))


def managed_services(db, user):
    """The current services whose scorecard the user may see, in scorecard order: all for an admin."""
    managed = "" if user.role == "admin" else f"AND id IN ({MANAGED_SERVICES})"
    return list(
        db.query(
            f"SELECT * FROM services WHERE retired_at IS NULL {managed} ORDER BY id", {"user_id": user.id}
        )
    )


def feedback_services(db, user):
    """The current services whose families' free-text feedback the user may read: those she
    practises in or manages (never an admin's by role alone: the text is the families' own)."""
    return list(
        db.query(
            """SELECT * FROM services WHERE retired_at IS NULL AND id IN (
                   SELECT service_id FROM memberships
                   WHERE user_id = :user_id AND role IN ('practitioner', 'manager'))
               ORDER BY id""",
            {"user_id": user.id},
        )
    )
