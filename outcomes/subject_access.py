"""Subject access: everything the service holds about one child, as one JSON-ready dict.

No Flask imports. Password and code hashes are never included; the caller audits the export.
"""

from datetime import datetime, timezone

from . import audit


def _rows(db, sql, params):
    return [dict(row) for row in db.query(sql, params)]


def export(db, child_id):
    """The child's record: details, caseloads, every review version with readings, targets and
    their outcomes, family views, linked family accounts, invitations and the audit trail."""
    child = _rows(db, "SELECT * FROM children WHERE id = ?", [child_id])
    if not child:
        return None
    reviews = _rows(
        db,
        """SELECT r.id, r.uuid, r.series_id, r.version, r.is_latest, s.key AS service,
                                  s.name AS service_name, st.key AS star, sv.version AS star_version,
                                  r.date, r.status, r.notes, r.internal_notes, r.amendment_reason,
                                  u.name AS practitioner, r.created_at, r.submitted_at
                           FROM reviews r JOIN services s ON s.id = r.service_id
                           JOIN star_versions sv ON sv.id = r.star_version_id
                           JOIN stars st ON st.id = sv.star_id
                           JOIN users u ON u.id = r.practitioner_id
                           WHERE r.child_id = ? ORDER BY r.date, r.series_id, r.version""",
        [child_id],
    )
    for review in reviews:
        review["readings"] = _rows(
            db,
            """SELECT d.key AS domain, d.label, rd.score, rd.not_assessed_reason
                                          FROM readings rd JOIN domains d ON d.id = rd.domain_id
                                          WHERE rd.review_id = ? ORDER BY d.position""",
            [review["id"]],
        )
        # The child's own view, in their words: faces, not scores.
        review["child_view"] = _rows(
            db,
            """SELECT d.key AS domain, d.label, cr.face, cr.faces FROM child_readings cr
               JOIN domains d ON d.id = cr.domain_id WHERE cr.review_id = ? ORDER BY d.position""",
            [review["id"]],
        )
    family_views = _rows(
        db,
        """SELECT fv.id, fv.review_id, u.name AS family_member, fv.rating, fv.fft_answer,
                                       fv.what_was_good, fv.could_be_better, fv.comment, fv.created_at
                                FROM family_views fv JOIN reviews r ON r.id = fv.review_id
                                JOIN users u ON u.id = fv.user_id
                                WHERE r.child_id = ? ORDER BY fv.created_at""",
        [child_id],
    )
    for view in family_views:
        view["readings"] = _rows(
            db,
            """SELECT d.key AS domain, d.label, fr.score
                                        FROM family_view_readings fr JOIN domains d ON d.id = fr.domain_id
                                        WHERE fr.family_view_id = ? ORDER BY d.position""",
            [view["id"]],
        )
    return {
        "exported_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "child": child[0],
        "caseloads": _rows(
            db,
            """SELECT c.id, s.key AS service, s.name AS service_name,
                                         u.name AS practitioner, c.started_on, c.discharged_on
                                  FROM caseloads c JOIN services s ON s.id = c.service_id
                                  LEFT JOIN users u ON u.id = c.practitioner_id
                                  WHERE c.child_id = ? ORDER BY c.started_on""",
            [child_id],
        ),
        "reviews": reviews,
        "targets": _rows(
            db,
            """SELECT t.id, s.key AS service, t.domain_key, t.set_in_review_id, t.description,
                                       t.start_score, t.target_score, t.due_date, t.created_at,
                                       o.outcome, o.reason AS outcome_reason,
                                       o.review_id AS closed_in_review_id,
                                       o.score_at_close
                                FROM targets t JOIN services s ON s.id = t.service_id
                                LEFT JOIN target_outcomes o ON o.target_id = t.id
                                WHERE t.child_id = ? ORDER BY t.id""",
            [child_id],
        ),
        "family_views": family_views,
        "family_links": _rows(
            db,
            """SELECT u.name, u.email, u.active, l.created_at AS linked_at
                                     FROM family_links l JOIN users u ON u.id = l.user_id
                                     WHERE l.child_id = ? ORDER BY u.name""",
            [child_id],
        ),
        "invitations": _rows(
            db,
            """SELECT i.created_at, i.expires_at, i.used_at, u.name AS created_by
                                    FROM invitations i JOIN users u ON u.id = i.created_by
                                    WHERE i.child_id = ? ORDER BY i.created_at""",
            [child_id],
        ),
        "audit_log": [
            {name: row[name] for name in ("at", "user_email", "user_name", "action", "detail")}
            for row in audit.entries(db, child_id=child_id)
        ],
    }
