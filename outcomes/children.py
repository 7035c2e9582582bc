"""Children: caseload lists and the child's star over time. No Flask imports."""
from . import stars
from .access import PRACTITIONER_CHILDREN_SQL
from .reviews import due_date


def get_child(db, child_id):
    rows = list(db.query("SELECT * FROM children WHERE id = ?", [child_id]))
    return rows[0] if rows else None


def full_name(child):
    return f"{child['given_name']} {child['family_name']}"


def practitioner_services(db, user_id):
    """The services the user reviews for, in name order."""
    return list(db.query(
        """SELECT s.* FROM services s JOIN memberships m ON m.service_id = s.id
           WHERE m.user_id = ? AND m.role = 'practitioner' AND s.retired_at IS NULL
           ORDER BY s.name""",
        [user_id],
    ))


def caseload(db, user_id, service_id):
    """Children on the service's open caseload that this practitioner may see, with review dates."""
    rows = db.query(
        f"""SELECT ch.id, ch.given_name, ch.family_name, ch.date_of_birth,
                   (SELECT max(r.date) FROM reviews r
                     WHERE r.child_id = ch.id AND r.service_id = :service_id
                       AND r.status = 'submitted' AND r.is_latest = 1) AS last_review,
                   (SELECT count(*) FROM reviews r
                     WHERE r.child_id = ch.id AND r.service_id = :service_id
                       AND r.status = 'draft') AS drafts
            FROM caseloads c JOIN children ch ON ch.id = c.child_id
            WHERE c.service_id = :service_id AND c.discharged_on IS NULL
              AND c.child_id IN ({PRACTITIONER_CHILDREN_SQL})
            ORDER BY ch.family_name, ch.given_name""",
        {"user_id": user_id, "service_id": service_id},
    )
    interval = db.execute(
        "SELECT review_interval_days FROM services WHERE id = ?", [service_id]
    ).fetchone()[0]
    return [
        dict(row, next_due=due_date(row["last_review"], interval).isoformat() if row["last_review"] else None)
        for row in rows
    ]


def review_history(db, child_id, service_id, include_drafts=True):
    """Every version of every review of this child by this service, newest first."""
    status = "" if include_drafts else "AND r.status = 'submitted'"
    return list(db.query(
        f"""SELECT r.*, u.name AS practitioner_name FROM reviews r
            JOIN users u ON u.id = r.practitioner_id
            WHERE r.child_id = ? AND r.service_id = ? {status}
            ORDER BY r.date DESC, r.series_id DESC, r.version DESC""",
        [child_id, service_id],
    ))


def counted_reviews(db, child_id, service_id):
    """Submitted, latest-version reviews in date order: the ones a star is drawn from."""
    return list(db.query(
        """SELECT id, date, star_version_id FROM reviews
           WHERE child_id = ? AND service_id = ? AND status = 'submitted' AND is_latest = 1
           ORDER BY date, id""",
        [child_id, service_id],
    ))


def star_over_time(db, child_id, service_id):
    """The child's readings for one service, ready for the radar and the table beside it.

    Domains are those of the latest review's star version; readings from other versions
    are compared only on the domains both versions share (matched by key), and
    `shared_only` says when that happened.
    """
    reviews = counted_reviews(db, child_id, service_id)
    if not reviews:
        return None
    star = stars.load_version(db, reviews[-1]["star_version_id"])
    keys = [domain["key"] for domain in star["domains"]]
    by_review = _scores_by_review(db, [review["id"] for review in reviews])
    versions = {review["star_version_id"] for review in reviews}
    shared = set(keys)
    for version_id in versions:
        shared &= {d["key"] for d in stars.load_version(db, version_id)["domains"]}
    domains = [domain for domain in star["domains"] if domain["key"] in shared]
    columns = [
        {"date": review["date"], "scores": [by_review[review["id"]].get(d["key"]) for d in domains]}
        for review in reviews
    ]
    return {
        "star": star,
        "domains": domains,
        "columns": columns,
        "first": columns[0],
        "latest": columns[-1],
        "shared_only": len(domains) < len(keys),
    }


def _scores_by_review(db, review_ids):
    marks = ",".join("?" * len(review_ids))
    scores = {review_id: {} for review_id in review_ids}
    for review_id, key, score in db.execute(
        f"""SELECT rd.review_id, d.key, rd.score FROM readings rd
            JOIN domains d ON d.id = rd.domain_id WHERE rd.review_id IN ({marks})""",
        review_ids,
    ):
        scores[review_id][key] = score
    return scores
