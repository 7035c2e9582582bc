"""Families: links to their children (invitations), what a family sees of their own child,
and the family's view and rating of a review. No Flask imports.

Every function that takes a user id answers only for children linked to that user and only
for submitted, latest-version reviews. An invitation code is shown once to the practitioner
who made it, stored only as a hash, lasts 7 days and can be used once.
"""

import secrets
from datetime import date, datetime, timedelta, timezone

from marshmallow import ValidationError
from werkzeug.security import generate_password_hash

from . import access, audit, child_view, children, facts, fft, goals_and_views, passwords, stars, users
from .db import id_list, write_transaction
from .rules import counted, latest_first, next_review
from .security import hash_secret

WINDOW = timedelta(days=30)

OUTCOME_WORDS = {
    "met": "Met: the aim was reached.",
    "partly_met": "Partly met: there was progress, but not all the way to the aim.",
    "not_met": "Not met yet.",
    "withdrawn": "Stopped",
}
NEXT_STEP = {
    "met": "The practitioner may set a new aim at the next review.",
    "partly_met": "The practitioner will talk with you about keeping or changing this aim.",
    "not_met": "The practitioner will talk with you about what could help and whether to change the aim.",
    "withdrawn": "This aim is no longer being worked on.",
}

# The review columns a family may see: never internal_notes.
_REVIEW_COLUMNS = """r.id, r.child_id, r.service_id, r.star_version_id, r.date, r.notes,
                     s.name AS service_name, u.name AS practitioner_name"""


# What a family sees of its linked children, and of their counted reviews (access.FAMILY_CHILDREN).
_LINKED_CHILDREN = f"""SELECT c.id, c.given_name, c.family_name, c.date_of_birth FROM children c
    WHERE c.id IN ({access.FAMILY_CHILDREN})"""
_LINKED_REVIEWS = f"""SELECT {_REVIEW_COLUMNS} FROM reviews r
    JOIN services s ON s.id = r.service_id JOIN users u ON u.id = r.practitioner_id
    WHERE r.child_id IN ({access.FAMILY_CHILDREN}) AND {counted()}"""


def linked_children(db, user_id):
    """The children linked to this family account, in name order."""
    return list(
        db.query(f"{_LINKED_CHILDREN} ORDER BY c.given_name, c.family_name, c.id", {"user_id": user_id})
    )


def linked_child(db, user_id, child_id):
    """The child if linked to this account, else None (the caller answers 404)."""
    rows = list(db.query(f"{_LINKED_CHILDREN} AND c.id = :child", {"user_id": user_id, "child": child_id}))
    return rows[0] if rows else None


def linked_review(db, user_id, review_id):
    """A counted review of a child linked to this account, else None."""
    rows = list(db.query(f"{_LINKED_REVIEWS} AND r.id = :review", {"user_id": user_id, "review": review_id}))
    return rows[0] if rows else None


def window_closes(review):
    """The last day the family's view of this review can be added or changed."""
    return date.fromisoformat(review["date"]) + WINDOW


def window_open(review, today=None):
    return (today or date.today()) <= window_closes(review)


def view_of(db, user_id, review_id):
    """This account's view of one review: rating, comment, when, and {domain key: score}; or None."""
    rows = list(
        db.query(
            "SELECT id, review_id, rating, fft_answer, what_was_good, could_be_better, comment, created_at "
            "FROM family_views "
            "WHERE review_id = ? AND user_id = ?",
            [review_id, user_id],
        )
    )
    if not rows:
        return None
    return dict(rows[0], readings=_view_readings(db, rows[0]["id"]))


def _view_readings(db, view_id):
    return _readings_by(db, "family_view_readings", "family_view_id", [view_id]).get(view_id, {})


def _readings_by(db, table, column, ids):
    """{id: {domain key: score}} of the readings in `table` whose `column` is one of `ids`: every
    view's (or review's) readings in one statement, not one a view."""
    found = {}
    if ids:
        for owner, key, score in db.execute(
            f"""SELECT x.{column}, d.key, x.score FROM {table} x JOIN domains d ON d.id = x.domain_id
                WHERE x.{column} IN (SELECT value FROM json_each(?))""",
            [id_list(ids)],
        ):
            found.setdefault(owner, {})[key] = score
    return found


def _newest_views_first():
    """ORDER BY for family views (alias fv, their reviews r): by review date, then the newest view,
    then the later row. The staff page's list and the radar's one view (its first) share it."""
    return f"{latest_first()}, fv.created_at DESC, fv.id DESC"


def _latest_view(db, child_id, service_id, user_id=None):
    """The newest family view (by review date) of a counted review; one account's when `user_id` is given."""
    mine = "AND fv.user_id = :user" if user_id is not None else ""
    rows = list(
        db.query(
            f"""SELECT fv.id, fv.rating, fv.comment, fv.created_at, r.date AS review_date, u.name
            FROM family_views fv JOIN reviews r ON r.id = fv.review_id JOIN users u ON u.id = fv.user_id
            WHERE r.child_id = :child AND r.service_id = :service AND {counted()} {mine}
            ORDER BY {_newest_views_first()} LIMIT 1""",
            {"child": child_id, "service": service_id, "user": user_id},
        )
    )
    if not rows:
        return None
    return dict(rows[0], readings=_view_readings(db, rows[0]["id"]))


def star_with_family_view(db, child_id, service_id, user_id=None, staff_views=None):
    """children.star_over_time plus `family`: the newest family view's scores on the same domains,
    and `child`: the child's own view at the newest review that has one (child_view.latest_for_chart).

    With `user_id` (a family's own page) only that account's view is used; staff see any family's,
    the first of `staff_views` when the page has views_for_staff already (the same order).
    """
    chart = children.star_over_time(db, child_id, service_id)
    if chart is None:
        return None
    if staff_views is not None and user_id is None:
        view = staff_views[0] if staff_views else None
    else:
        view = _latest_view(db, child_id, service_id, user_id)
    chart["child"] = child_view.latest_for_chart(db, child_id, service_id, chart["star"], chart["domains"])
    chart["family"] = None
    if view:
        chart["family"] = {
            "date": view["review_date"],
            "name": view["name"],
            "scores": [view["readings"].get(domain["key"]) for domain in chart["domains"]],
        }
    return chart


def domain_labels(db, service_id, chart=None):
    """{domain key: label} from the star the chart uses, or the service's current star."""
    star = chart["star"] if chart else stars.load_version(db, stars.current_version_id(db, service_id))
    return {domain["key"]: domain["label"] for domain in star["domains"]} if star else {}


def targets_for_family(db, child_id, service_id):
    """Targets set at counted reviews, with an outcome only once a counted review recorded it.

    A draft review's outcome is the practitioner's work in progress, so it is not shown.
    """
    return list(
        db.query(
            f"""SELECT t.id, t.domain_key, t.description, t.start_score, t.target_score, t.due_date,
                  t.importance, t.difficulty, sr.date AS set_on,
                  CASE WHEN cr.id IS NOT NULL THEN o.outcome END AS outcome,
                  CASE WHEN cr.id IS NOT NULL THEN o.gas_level END AS gas_level,
                  CASE WHEN cr.id IS NOT NULL THEN o.reason END AS reason,
                  cr.date AS closed_on
           FROM targets t
           JOIN reviews sr ON sr.id = t.set_in_review_id AND {counted("sr")}
           LEFT JOIN target_outcomes o ON o.target_id = t.id
           LEFT JOIN reviews cr ON cr.id = o.review_id AND {counted("cr")}
           WHERE t.child_id = ? AND t.service_id = ?
           ORDER BY cr.id IS NOT NULL, COALESCE(cr.date, t.due_date) DESC, t.id""",
            [child_id, service_id],
        )
    )


def next_review_due(db, child_id, service, today=None):
    """rules.next_review ({next_due, overdue}) after the service's latest counted review of the child."""
    latest = db.execute(
        f"SELECT max(r.date) FROM reviews r WHERE r.child_id = ? AND r.service_id = ? AND {counted()}",
        [child_id, service["id"]],
    ).fetchone()[0]
    return next_review(latest, service["review_interval_days"], today)


def timeline(db, user_id, child_id, today=None):
    """Counted reviews of a linked child by every service, newest first, with this account's view."""
    rows = db.query(
        f"{_LINKED_REVIEWS} AND r.child_id = :child ORDER BY {latest_first()}",
        {"user_id": user_id, "child": child_id},
    )
    return [
        dict(
            row,
            view=view_of(db, user_id, row["id"]),
            open=window_open(row, today),
            closes=window_closes(row).isoformat(),
        )
        for row in rows
    ]


def opening_service(services, timeline):
    """The service a family's page opens on: the one with the newest review (timeline order),
    else the first; None when no service sees the child."""
    newest = {review["service_id"] for review in timeline[:1]}
    return next((s for s in services if s["id"] in newest), services[0] if services else None)


def views_due(timeline):
    """Reviews whose 30-day window is open and that have no view from this account yet, newest first."""
    return [review for review in timeline if review["open"] and not review["view"]]


def views_for_staff(db, child_id, service_id):
    """Every family view of the service's counted reviews of the child, newest first, for the
    practitioner's page: each with the practitioner's and the
    family's reading per domain."""
    views = list(
        db.query(
            f"""SELECT fv.id, fv.review_id, fv.rating, fv.fft_answer, fv.comment, fv.created_at, u.name,
                   r.date AS review_date, r.star_version_id
            FROM family_views fv JOIN reviews r ON r.id = fv.review_id JOIN users u ON u.id = fv.user_id
            WHERE r.child_id = ? AND r.service_id = ? AND {counted()}
            ORDER BY {_newest_views_first()}""",
            [child_id, service_id],
        )
    )
    family = _readings_by(db, "family_view_readings", "family_view_id", [view["id"] for view in views])
    practitioner = _readings_by(db, "readings", "review_id", [view["review_id"] for view in views])
    for view in views:
        star = stars.load_version(db, view["star_version_id"])
        view["readings"] = family.get(view["id"], {})
        theirs = practitioner.get(view["review_id"], {})
        view["rows"] = [
            {
                "label": d["label"],
                "practitioner": theirs.get(d["key"]),
                "family": view["readings"].get(d["key"]),
            }
            for d in star["domains"]
        ]
        view["rating_words"] = fft.LABELS.get(view["fft_answer"], "")
        view["compared"] = any(
            row["family"] is not None and row["practitioner"] is not None for row in view["rows"]
        )
        view["differ_most"] = goals_and_views.largest_differences(view["rows"])
    return views


def save_view(db, user_id, review_id, data, today=None):
    """Store (or replace) this account's view of a review from a loaded FamilyViewSchema.

    Raises ValidationError naming the field, and writes nothing, when the review is not a
    counted review of a linked child, the 30 days are over, or a reading is off the star.
    """
    today = today or date.today()
    # The view, its readings and its rating change the review's facts: rebuilt once, at the end.
    with facts.deferred(db):
        review = linked_review(db, user_id, review_id)
        if review is None:
            raise ValidationError({"review_id": ["This is not a review of a child linked to your account."]})
        if not window_open(review, today):
            raise ValidationError(
                {
                    "review_id": [
                        f"The family's view can be added up to 30 days after a review. This review was on "
                        f"{review['date']}, so that time ended on {window_closes(review).isoformat()}."
                    ]
                }
            )
        star = stars.load_version(db, review["star_version_id"])
        domain_ids = _checked_readings(star, data["readings"])
        found = db.execute(
            "SELECT id FROM family_views WHERE review_id = ? AND user_id = ?", [review_id, user_id]
        ).fetchone()
        row = {
            "fft_answer": data["answer"],
            # The 1–5 score the mean satisfaction is kept on ("don't know" has none).
            "rating": fft.score_of(data["answer"]),
            "what_was_good": data["what_was_good"].strip(),
            "could_be_better": data["could_be_better"].strip(),
            "comment": data["comment"].strip(),
        }
        if found:
            view_id = found[0]
            # A re-saved view replaces the old one, and its rating counts from when it was given.
            db.execute(
                "UPDATE family_views SET fft_answer = :fft_answer, rating = :rating, "
                "what_was_good = :what_was_good, could_be_better = :could_be_better, comment = :comment, "
                "created_at = datetime('now') WHERE id = :id",
                dict(row, id=view_id),
            )
            db.execute("DELETE FROM family_view_readings WHERE family_view_id = ?", [view_id])
        else:
            view_id = db["family_views"].insert(dict(row, review_id=review_id, user_id=user_id)).last_pk
        db["family_view_readings"].insert_all(
            {"family_view_id": view_id, "domain_id": domain_ids[key], "score": score}
            for key, score in data["readings"].items()
        )
        audit.record(db, user_id, "family view saved", review["child_id"], f"review {review_id}")
    return view_of(db, user_id, review_id)


def _checked_readings(star, readings):
    """{domain key: domain id} for the star; raises naming each reading that is not on it."""
    domain_ids = {domain["key"]: domain["id"] for domain in star["domains"]}
    problems = {}
    for key, score in readings.items():
        if key not in domain_ids:
            problems[key] = [f"Unknown area for the {star['name']}."]
        elif not star["scale_min"] <= score <= star["scale_max"]:
            problems[key] = [
                f"Choose a reading from {star['scale_min']} to {star['scale_max']}, or leave it blank."
            ]
    if problems:
        raise ValidationError({"readings": problems})
    return domain_ids


VALID_FOR = timedelta(days=7)
# No 0/O, 1/I/L: the code is often read off paper and typed on a phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16  # 16 symbols from 31: about 79 bits, far beyond guessing

WRONG_CODE = (
    "That invitation code is not right. Check it against the paper you were given, "
    "or ask the practitioner for a new one."
)
USED_CODE = "That invitation code has already been used. Ask the practitioner for a new one."
EXPIRED_CODE = "That invitation code has expired (codes last 7 days). Ask the practitioner for a new one."
# Worded so that it does not say whether the email has an account.
ACCOUNT_REFUSED = (
    "That email and password cannot be used together. If you already have a family account "
    "with this email, enter its password; if not, use another email address."
)
NAME_NEEDED = "Enter your name, so the practitioner knows who has joined."
# Wrong codes are throttled by address, like failed sign-ins, under this pseudo-email.
CODE_GUESS = "(invitation code)"


def _stamp(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _now(now):
    return now or datetime.now(timezone.utc)


def normalise(code):
    """The code as stored: capitals, without the spaces and dashes people type."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def display(code):
    """The code in groups of four, easier to read aloud and to copy."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def create_invitation(db, child_id, created_by, now=None):
    """Make a one-time code for `child_id`; returns (code as shown, expires_at). Only the hash is kept."""
    now = _now(now)
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    expires = now + VALID_FOR
    with write_transaction(db):
        db["invitations"].insert(
            {
                "child_id": child_id,
                "code_hash": hash_secret(code),
                "created_by": created_by,
                "created_at": _stamp(now),
                "expires_at": _stamp(expires),
            }
        )
        audit.record(db, created_by, "invite family", child_id)
    return display(code), _stamp(expires)


def check_code(db, code, now=None):
    """The unused, unexpired invitation for `code`; raises ValidationError naming `code` otherwise."""
    plain = normalise(code)
    rows = (
        list(db.query("SELECT * FROM invitations WHERE code_hash = ?", [hash_secret(plain)])) if plain else []
    )
    if not rows:
        raise ValidationError({"code": [WRONG_CODE]})
    invitation = rows[0]
    if invitation["used_at"]:
        raise ValidationError({"code": [USED_CODE]})
    if invitation["expires_at"] <= _stamp(_now(now)):
        raise ValidationError({"code": [EXPIRED_CODE]})
    return invitation


def open_invitation(db, code, child_id, now=None):
    """The unused, unexpired invitation with this code for this child, or None."""
    try:
        invitation = check_code(db, code, now)
    except ValidationError:
        return None
    return invitation if invitation["child_id"] == child_id else None


def redeem(db, data, now=None, address=""):
    """Use an invitation: create the family account (or use the existing one) and link the child.

    `data` is a loaded InvitationAcceptSchema. Returns the user's row. Raises
    ValidationError (and writes nothing) for a wrong, used or expired code, or an
    existing account whose password was not given; users.TooManyAttempts while this
    address must wait after failures.
    """
    # By address only: wrong codes from one place must not hold up everyone else's invitations.
    users.check_throttle(db, "", address, now)
    try:
        check_code(db, data["code"], now)
    except ValidationError:
        users.record_failure(db, CODE_GUESS, address, now)
        raise
    # Asked of everyone, so that a blank name does not tell new emails from known ones.
    if not data["name"].strip():
        raise ValidationError({"name": [NAME_NEEDED]})
    existing = users.user_by_email(db, data["email"])
    if existing:
        # Through the throttled sign-in, so a code cannot be used to guess someone's password.
        account = users.authenticate(db, data["email"], data["password"], now, address)
        if account is None or account["role"] != "family":
            raise ValidationError({"password": [ACCOUNT_REFUSED]})
    else:
        passwords.check(data["password"], data["name"], data["email"])
    # Hashing is slow on purpose: do it before taking the write lock.
    password_hash = None if existing else generate_password_hash(data["password"])
    with write_transaction(db):
        # Checked again under the write lock: two tabs redeeming one code get one link.
        invitation = check_code(db, data["code"], now)
        if existing:
            user_id = existing["id"]
        else:
            user_id = users.create_user(
                db, data["email"], data["name"].strip(), "family", password_hash=password_hash
            )
        db.execute(
            "INSERT OR IGNORE INTO family_links (user_id, child_id) VALUES (?, ?)",
            [user_id, invitation["child_id"]],
        )
        db.execute(
            "UPDATE invitations SET used_at = ?, used_by = ? WHERE id = ?",
            [_stamp(_now(now)), user_id, invitation["id"]],
        )
        audit.record(
            db, user_id, "accept invitation", invitation["child_id"], f"invitation {invitation['id']}"
        )
    return users.user_by_id(db, user_id)


def unlink(db, admin_id, user_id, child_id):
    """Stop one parent seeing one child (their other children stay linked); False if not linked."""
    with write_transaction(db):
        cursor = db.execute(
            "DELETE FROM family_links WHERE user_id = ? AND child_id = ?", [user_id, child_id]
        )
        if cursor.rowcount:
            audit.record(db, admin_id, "unlink family", child_id, f"user {user_id}")
    return bool(cursor.rowcount)


def open_invitations(db, child_id, now=None):
    """The child's unused, unexpired invitations, newest first (never the code: only its hash is kept)."""
    return list(
        db.query(
            """SELECT i.id, i.created_at, i.expires_at, i.created_by, u.name AS created_by_name
            FROM invitations i JOIN users u ON u.id = i.created_by
            WHERE i.child_id = ? AND i.used_at IS NULL AND i.expires_at > ? ORDER BY i.id DESC""",
            [child_id, _stamp(_now(now))],
        )
    )


def revocable_invitations(db, user, child_id, now=None):
    """The child's open invitations this user may revoke: their own (an admin's: all)."""
    return [
        invitation
        for invitation in open_invitations(db, child_id, now)
        if user["role"] == "admin" or invitation["created_by"] == user["id"]
    ]


def revoke_invitation(db, user, invitation_id, child_id=None, now=None):
    """End an unused invitation at once: allowed to the practitioner who made it and to admins.

    Returns the invitation's child id, or None when there is no such open invitation this user may revoke.
    """
    stamp = _stamp(_now(now))
    with write_transaction(db):
        rows = list(
            db.query(
                "SELECT * FROM invitations WHERE id = ? AND used_at IS NULL AND expires_at > ?",
                [invitation_id, stamp],
            )
        )
        if not rows or (user["role"] != "admin" and rows[0]["created_by"] != user["id"]):
            return None
        if child_id is not None and rows[0]["child_id"] != child_id:
            return None
        # Expiring it (rather than deleting it) keeps who invited whom, and when, for the record.
        db.execute("UPDATE invitations SET expires_at = ? WHERE id = ?", [stamp, invitation_id])
        audit.record(db, user["id"], "revoke invitation", rows[0]["child_id"], f"invitation {invitation_id}")
    return rows[0]["child_id"]


def linked_parents(db, child_id):
    """The family accounts that see this child, by name (for the admin's child page)."""
    return list(
        db.query(
            """SELECT u.id, u.name, u.email, l.created_at FROM family_links l JOIN users u ON u.id = l.user_id
            WHERE l.child_id = ? ORDER BY u.name""",
            [child_id],
        )
    )


# --- Email notices of new reviews (opt-in, per family account) -----------------------------------


def wants_review_notices(db, user_id):
    return db.execute("SELECT 1 FROM review_notices WHERE user_id = ?", [user_id]).fetchone() is not None


def set_review_notices(db, user_id, wanted, now=None):
    """Opt in to (or out of) an email when a new review of one's child is published."""
    with write_transaction(db):
        if wanted:
            db.execute(
                "INSERT OR IGNORE INTO review_notices (user_id, opted_in_at) VALUES (?, ?)",
                [user_id, _stamp(_now(now))],
            )
        else:
            db.execute("DELETE FROM review_notices WHERE user_id = ?", [user_id])


def review_notice_recipients(db, child_id):
    """Active family accounts linked to the child who asked for an email about new reviews."""
    return list(
        db.query(
            """SELECT u.id, u.email, u.name FROM family_links l
               JOIN users u ON u.id = l.user_id
               JOIN review_notices n ON n.user_id = u.id
               WHERE l.child_id = ? AND u.active = 1 AND u.role = 'family' ORDER BY u.id""",
            [child_id],
        )
    )
