"""Who may see and review which child: one rule, used by every view and every list."""

# The SQL form of the rule, for filtering lists: children on an open caseload of a
# service where the user is a practitioner member.
PRACTITIONER_CHILDREN_SQL = """
    SELECT c.child_id FROM caseloads c
    JOIN memberships m ON m.service_id = c.service_id AND m.role = 'practitioner'
    WHERE m.user_id = :user_id AND c.discharged_on IS NULL
"""


def may_see_child(db, user, child_id):
    """Staff access to a child's record: admins all, practitioners their caseloads' children."""
    if user.role == "admin":
        return db.execute("SELECT 1 FROM children WHERE id = ?", [child_id]).fetchone() is not None
    if user.role == "practitioner":
        return db.execute(
            PRACTITIONER_CHILDREN_SQL + " AND c.child_id = :child_id",
            {"user_id": user.id, "child_id": child_id},
        ).fetchone() is not None
    return False


def may_review(db, user_id, child_id, service_id):
    """A practitioner of the service, with the child on that service's open caseload."""
    return db.execute(
        """SELECT 1 FROM caseloads c
           JOIN memberships m ON m.service_id = c.service_id AND m.role = 'practitioner'
           WHERE m.user_id = ? AND c.child_id = ? AND c.service_id = ? AND c.discharged_on IS NULL""",
        [user_id, child_id, service_id],
    ).fetchone() is not None


def visible_services(db, user, child_id):
    """The services whose record of this child the user may see (admins: every service seeing them)."""
    if user.role == "admin":
        sql = """SELECT DISTINCT s.* FROM services s
                 WHERE s.id IN (SELECT service_id FROM caseloads WHERE child_id = :child_id)
                    OR s.id IN (SELECT service_id FROM reviews WHERE child_id = :child_id)
                 ORDER BY s.name"""
    else:
        sql = """SELECT s.* FROM services s
                 JOIN memberships m ON m.service_id = s.id AND m.role = 'practitioner'
                 JOIN caseloads c ON c.service_id = s.id AND c.discharged_on IS NULL
                 WHERE m.user_id = :user_id AND c.child_id = :child_id
                 ORDER BY s.name"""
    return list(db.query(sql, {"user_id": user.id, "child_id": child_id}))
