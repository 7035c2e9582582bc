"""Erasure of a child on request and anonymisation at the end of retention. No Flask imports.

Both keep the child's record and its reviews, readings, targets and outcomes, so the
scorecard's counts and means do not change, and remove everything that identifies the child:
name, day of birth (month and year stay, for age breakdowns), NHS number, local id, free text
written about them, family links and invitations. docs/admin.md lists exactly what is kept.
"""

from datetime import date

from . import audit
from .db import write_transaction

ANONYMOUS_GIVEN = "Anonymised"
ANONYMOUS_FAMILY = "record"
REMOVED_TEXT = "Removed when the record was anonymised"
DEFAULT_RETENTION_YEARS = 25


def is_erased(db, child_id):
    return db.execute("SELECT 1 FROM child_erasures WHERE child_id = ?", [child_id]).fetchone() is not None


def erase(db, user_id, child_id, reason="request", today=None):
    """Anonymise one child's record (reason 'request' or 'retention'); False if it already was."""
    today = (today or date.today()).isoformat()
    with write_transaction(db):
        if is_erased(db, child_id):
            return False
        _strip_child(db.conn, child_id, today)
        db["child_erasures"].insert({"child_id": child_id, "reason": reason})
        # The entry names the record number only: the name is what is being removed.
        action = "erase child" if reason == "request" else "anonymise child"
        audit.record(db, user_id, action, child_id, "on request" if reason == "request" else "retention")
    return True


def _strip_child(conn, child_id, today):
    conn.execute(
        """UPDATE children SET given_name = ?, family_name = ?,
               date_of_birth = substr(date_of_birth, 1, 8) || '01',
               nhs_number = NULL, local_id = NULL, updated_at = datetime('now')
           WHERE id = ?""",
        [ANONYMOUS_GIVEN, ANONYMOUS_FAMILY, child_id],
    )
    # Episodes end today, so the record leaves every caseload; their dates stay for the scorecard.
    conn.execute(
        "UPDATE caseloads SET discharged_on = ? WHERE child_id = ? AND discharged_on IS NULL",
        [today, child_id],
    )
    review_ids = "SELECT id FROM reviews WHERE child_id = :child"
    statements = [
        "UPDATE reviews SET notes = '', internal_notes = '',"
        " amendment_reason = CASE WHEN amendment_reason IS NULL THEN NULL ELSE :removed END"
        " WHERE child_id = :child",
        f"UPDATE readings SET not_assessed_reason = :removed"
        f" WHERE not_assessed_reason IS NOT NULL AND review_id IN ({review_ids})",
        "UPDATE targets SET description = :removed WHERE child_id = :child",
        f"UPDATE target_outcomes SET reason = CASE WHEN reason IS NULL THEN NULL ELSE :removed END"
        f" WHERE review_id IN ({review_ids})",
        f"UPDATE family_views SET comment = '', what_was_good = '', could_be_better = ''"
        f" WHERE review_id IN ({review_ids})",
        "DELETE FROM family_links WHERE child_id = :child",
        "DELETE FROM invitations WHERE child_id = :child",
    ]
    for sql in statements:
        conn.execute(sql, {"child": child_id, "removed": REMOVED_TEXT})


def retention_cutoff(today, years=DEFAULT_RETENTION_YEARS):
    """Children born on or before this day have reached the end of retention (their `years`th birthday)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year that has none
        return today.replace(year=today.year - years, day=28)


def expired(db, today=None, years=DEFAULT_RETENTION_YEARS):
    """Ids of children past retention and not yet anonymised, oldest first."""
    cutoff = retention_cutoff(today or date.today(), years).isoformat()
    return [
        row[0]
        for row in db.execute(
            """SELECT id FROM children WHERE date_of_birth <= ?
               AND id NOT IN (SELECT child_id FROM child_erasures) ORDER BY date_of_birth, id""",
            [cutoff],
        )
    ]


def anonymise_expired(db, user_id=None, today=None, years=DEFAULT_RETENTION_YEARS):
    """Anonymise every child past retention; returns how many were anonymised."""
    return sum(erase(db, user_id, child_id, "retention", today) for child_id in expired(db, today, years))
