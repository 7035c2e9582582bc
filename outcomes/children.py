"""Children and caseloads: the caseload lists, the child's star over time, and the admin's
add, move and discharge. No Flask imports.

Every write that touches a child is audited in the same transaction.
"""

from datetime import date

from marshmallow import ValidationError

from . import access, audit, rules, stars
from .db import id_list, write_transaction
from .rules import counted, next_review


def get_child(db, child_id):
    rows = list(db.query("SELECT * FROM children WHERE id = ?", [child_id]))
    return rows[0] if rows else None


def full_name(child):
    return f"{child['given_name']} {child['family_name']}"


def practitioner_services(db, user_id):
    """The services the user reviews for, in name order."""
    return list(
        db.query(
            f"""SELECT s.* FROM services s
            WHERE s.id IN ({access.PRACTITIONER_SERVICES}) AND s.retired_at IS NULL
            ORDER BY s.name""",
            {"user_id": user_id},
        )
    )


def caseload(db, user_id, service_id, today=None, own_and=None):
    """Children on the service's open caseload that this practitioner may see, with review dates
    (last_review, and rules.next_review's next_due and overdue).

    With `own_and` (a set of child ids, possibly empty) only her own list: children assigned to
    her or to nobody yet, plus those ids (the offline bundle's recently opened children).
    """
    own = ""
    if own_and is not None:
        extra = ",".join(str(int(child_id)) for child_id in own_and)
        own = f"AND (c.practitioner_id = :user_id OR c.practitioner_id IS NULL OR c.child_id IN ({extra}))"
    rows = db.query(
        f"""SELECT ch.id, ch.given_name, ch.family_name, ch.date_of_birth,
                   (SELECT max(r.date) FROM reviews r
                     WHERE r.child_id = ch.id AND r.service_id = :service_id AND {counted()}) AS last_review,
                   (SELECT count(*) FROM reviews r
                     WHERE r.child_id = ch.id AND r.service_id = :service_id
                       AND r.status = 'draft') AS drafts
            FROM caseloads c JOIN children ch ON ch.id = c.child_id
            WHERE c.service_id = :service_id AND c.discharged_on IS NULL
              AND c.service_id IN ({access.PRACTITIONER_SERVICES}) {own}
            ORDER BY ch.family_name, ch.given_name""",
        {"user_id": user_id, "service_id": service_id},
    )
    interval = db.execute("SELECT review_interval_days FROM services WHERE id = ?", [service_id]).fetchone()[
        0
    ]
    return [dict(row, **next_review(row["last_review"], interval, today)) for row in rows]


CASELOAD_PAGE_SIZE = 50
_CASELOAD_ORDER = {
    # Due date first: never reviewed (due now) at the top, then the soonest due; name breaks ties.
    # The due date is the last counted review plus the service's one interval, so the last review's
    # order is the due date's (NULL, never reviewed, sorts first in SQL) and an index can give it.
    "due": "last_review, family_name, given_name, id",
    "name": "family_name, given_name, id",
}


def caseload_page(db, user_id, service_id, query, today=None, page_size=CASELOAD_PAGE_SIZE):
    """One page of the caseload as the practitioner asked for it (CaseloadQuerySchema's fields):
    her own children (assigned to her, or to nobody yet) or the whole service's open caseload,
    searched by name, filtered to due soon or overdue, sorted by due date or name. Filtering,
    sorting and paging are SQL over rules' due-date expressions and each pair's stored last counted
    review (caseload_last_reviews), so a 2,500-child caseload sends only the page shown and, with no
    search, reads only that page's rows. Returns {rows, total, page, pages}."""
    params = {
        "user_id": user_id,
        "service_id": service_id,
        "today": (today or date.today()).isoformat(),
        "search": "%" + _like_escape(query["q"].strip()) + "%",
        "limit": page_size,
    }
    page = query["page"]
    if not _counted_with_page(query):
        total = db.execute(_count_sql(query), params).fetchone()[0]
        page = min(page, max(1, -(-total // page_size)))  # a page past the end shows the last
    rows = _caseload_rows(db, query, dict(params, offset=(page - 1) * page_size))
    if _counted_with_page(query):
        total = rows[0]["total"] if rows else db.execute(_count_sql(query), params).fetchone()[0]
        if not rows and total and page > 1:
            page = max(1, -(-total // page_size))
            rows = _caseload_rows(db, query, dict(params, offset=(page - 1) * page_size))
    pages = max(1, -(-total // page_size))
    return {"rows": rows, "total": total, "page": min(page, pages), "pages": pages}


def _counted_with_page(query):
    """A search sorted by due date reads every child it finds anyway: one statement pages and counts."""
    return query["sort"] == "due" and bool(query["q"].strip())


def _caseload_rows(db, query, params):
    # A read: straight to the connection, without the savepoint db.query puts around a WITH.
    cursor = db.conn.execute(_caseload_sql(query), params)
    keys = [column[0] for column in cursor.description]
    rows = [dict(zip(keys, row, strict=True)) for row in cursor]
    for row in rows:
        row["overdue"] = bool(row["overdue"])
        row["due_soon"] = bool(row["due_soon"]) and not row["overdue"]
    return rows


def _listed_conditions(query):
    """Which of the service's open caseload the query lists: hers (or nobody's yet), by name, and
    due soon or overdue (rules' conditions on the stored last review, d.last_review)."""
    mine = (
        "AND (c.practitioner_id = :user_id OR c.practitioner_id IS NULL)" if query["scope"] == "mine" else ""
    )
    search = (
        "AND (ch.given_name || ' ' || ch.family_name) LIKE :search ESCAPE '\\'" if query["q"].strip() else ""
    )
    # The service's one interval, looked up once for the whole statement.
    interval = "(SELECT review_interval_days FROM services WHERE id = :service_id)"
    due = {
        "all": "",
        "overdue": "AND " + rules.overdue_by_previous_sql("d.last_review", interval),
        "due_soon": "AND " + rules.due_soon_by_previous_sql("d.last_review", interval),
    }[query["show"]]
    return f"""c.service_id = :service_id AND c.discharged_on IS NULL
              AND c.service_id IN ({access.PRACTITIONER_SERVICES}) {mine} {search} {due}"""


def _count_sql(query):
    """How many children the query lists; with no search or due-date filter, from one caseloads index."""
    children = "JOIN children ch ON ch.id = c.child_id" if query["q"].strip() else ""
    dates = (
        "JOIN caseload_last_reviews d ON d.service_id = c.service_id AND d.child_id = c.child_id"
        if query["show"] != "all"
        else ""
    )
    return f"SELECT count(*) FROM caseloads c {children} {dates} WHERE {_listed_conditions(query)}"


_LISTED_COLUMNS = """ch.id, ch.given_name, ch.family_name, ch.date_of_birth, c.practitioner_id,
                   s.review_interval_days AS interval"""
_PAIR = "d.service_id = c.service_id AND d.child_id = c.child_id"


def _listed_sql(query):
    """One page of the children the query lists, with their last counted review. Sorted by name
    they are read in name order (children_by_name); by due date with no search, in the stored last
    reviews' date order (its index, whose range is a due-date filter's): CROSS JOIN keeps that
    table the outer loop, so the index gives the order and the LIMIT stops the scan once the page is
    full. A search sorted by due date reads the caseload and sorts the children it finds."""
    if query["sort"] == "name":
        # With no due-date filter, only the page's last reviews are looked up (_caseload_sql).
        dates = f"JOIN caseload_last_reviews d ON {_PAIR}" if query["show"] != "all" else ""
        last = ", d.last_review" if dates else ""
        return f"""SELECT {_LISTED_COLUMNS}{last} FROM children ch INDEXED BY children_by_name
            CROSS JOIN caseloads c ON c.child_id = ch.id JOIN services s ON s.id = c.service_id {dates}
            WHERE {_listed_conditions(query)}
            ORDER BY ch.family_name, ch.given_name, ch.id LIMIT :limit OFFSET :offset"""
    order = "d.last_review, ch.family_name, ch.given_name, ch.id"
    if not query["q"].strip():
        return f"""SELECT {_LISTED_COLUMNS}, d.last_review
            FROM caseload_last_reviews d INDEXED BY caseload_last_reviews_by_date
            CROSS JOIN caseloads c ON {_PAIR} CROSS JOIN children ch ON ch.id = c.child_id
            JOIN services s ON s.id = c.service_id
            WHERE d.service_id = :service_id AND {_listed_conditions(query)}
            ORDER BY {order} LIMIT :limit OFFSET :offset"""
    return f"""SELECT {_LISTED_COLUMNS}, d.last_review, count(*) OVER () AS total
        FROM caseloads c JOIN children ch ON ch.id = c.child_id JOIN services s ON s.id = c.service_id
        JOIN caseload_last_reviews d ON {_PAIR}
        WHERE {_listed_conditions(query)}
        ORDER BY {order} LIMIT :limit OFFSET :offset"""


def _caseload_sql(query):
    """The page's children (_listed_sql) with their due dates and flags by rules' expressions, the
    due date worked out once (MATERIALIZED: a plain CTE would repeat it for every mention), and
    each shown child's drafts."""
    order = _CASELOAD_ORDER[query["sort"]]
    next_due = rules.due_date_sql("last_review", "interval")
    dated = "SELECT * FROM listed"
    if query["sort"] == "name" and query["show"] == "all":
        dated = """SELECT l.*, (SELECT d.last_review FROM caseload_last_reviews d
                   WHERE d.service_id = :service_id AND d.child_id = l.id) AS last_review FROM listed l"""
    return f"""WITH listed AS MATERIALIZED ({_listed_sql(query)}),
        dated AS MATERIALIZED ({dated}),
        due AS MATERIALIZED (SELECT *, {next_due} AS next_due FROM dated)
        SELECT due.*, {rules.overdue_sql("next_due")} AS overdue,
               {rules.due_soon_sql("next_due")} AS due_soon,
               (SELECT count(*) FROM reviews r INDEXED BY reviews_drafts_by_child
                WHERE r.child_id = due.id AND r.service_id = :service_id AND r.status = 'draft') AS drafts
        FROM due ORDER BY {order}"""


def _like_escape(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def review_history(db, child_id, service_id, include_drafts=True):
    """Every version of every review of this child by this service, newest first."""
    status = "" if include_drafts else "AND r.status = 'submitted'"
    return list(
        db.query(
            f"""SELECT r.*, u.name AS practitioner_name FROM reviews r
            JOIN users u ON u.id = r.practitioner_id
            WHERE r.child_id = ? AND r.service_id = ? {status}
            ORDER BY r.date DESC, r.series_id DESC, r.version DESC""",
            [child_id, service_id],
        )
    )


def star_over_time(db, child_id, service_id):
    """The child's readings for one service, ready for the radar and the table beside it.

    Domains are those of the latest review's star version; readings from other versions
    are compared only on the domains both versions share (matched by key), and
    `shared_only` says when that happened.
    """
    return stars_over_time(db, [child_id], service_id).get(child_id)


def stars_over_time(db, child_ids, service_id):
    """star_over_time for many children of one service: {child id: chart}, leaving out children
    with no counted review. One statement for the readings, plus each star version's once, however
    many children (the offline bundle's whole list)."""
    versions = {}

    def version(version_id):
        if version_id not in versions:
            versions[version_id] = stars.load_version(db, version_id)
        return versions[version_id]

    return {
        child_id: _chart(reviews, by_review, version)
        for child_id, (reviews, by_review) in _counted_with_scores(db, child_ids, service_id).items()
    }


def _chart(reviews, by_review, version):
    """One child's chart from their counted reviews in date order and each one's scores."""
    star = version(reviews[-1]["star_version_id"])
    keys = [domain["key"] for domain in star["domains"]]
    versions = {review["star_version_id"] for review in reviews}
    shared = set(keys)
    for version_id in versions:
        shared &= {d["key"] for d in version(version_id)["domains"]}
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


def _counted_with_scores(db, child_ids, service_id):
    """{child id: (counted reviews in date order, each one's {domain key: score})}, in one statement."""
    found = {}
    for child_id, review_id, day, version_id, key, score in db.execute(
        f"""SELECT r.child_id, r.id, r.date, r.star_version_id, d.key, rd.score FROM reviews r
            LEFT JOIN readings rd ON rd.review_id = r.id LEFT JOIN domains d ON d.id = rd.domain_id
            WHERE r.child_id IN (SELECT value FROM json_each(?)) AND r.service_id = ? AND {counted()}
            ORDER BY r.child_id, r.date, r.id""",
        [id_list(child_ids), service_id],
    ):
        reviews, scores = found.setdefault(child_id, ([], {}))
        if review_id not in scores:
            reviews.append({"id": review_id, "date": day, "star_version_id": version_id})
            scores[review_id] = {}
        if key is not None:
            scores[review_id][key] = score
    return found


def find_child(db, reference):
    """A child by record number, NHS number (spaces allowed) or local id; None if no match."""
    reference = (reference or "").strip()
    if not reference:
        return None
    digits = reference.replace(" ", "")
    rows = list(
        db.query(
            "SELECT * FROM children WHERE nhs_number = ? OR local_id = ? ORDER BY id LIMIT 1",
            [digits, reference],
        )
    )
    if not rows and reference.isdigit():
        rows = list(db.query("SELECT * FROM children WHERE id = ?", [int(reference)]))
    return rows[0] if rows else None


def child_row(data):
    """The children columns from a loaded ChildSchema."""
    return {
        "given_name": data["given_name"].strip(),
        "family_name": data["family_name"].strip(),
        "date_of_birth": data["date_of_birth"].isoformat(),
        "nhs_number": data["nhs_number"].replace(" ", "") if data.get("nhs_number") else None,
        "local_id": data["local_id"].strip() if data.get("local_id") else None,
        "sen_status": data.get("sen_status"),
        "primary_need": data.get("primary_need"),
    }


def check_child_unique(db, row, child_id=None):
    """Refuse an NHS number or local id that another child already has."""
    errors = {}
    for column, label in (("nhs_number", "NHS number"), ("local_id", "local id")):
        if (
            row[column]
            and db.execute(
                f"SELECT 1 FROM children WHERE {column} = ? AND id IS NOT ?", [row[column], child_id]
            ).fetchone()
        ):
            errors[column] = [f"Another child already has this {label}."]
    if errors:
        raise ValidationError(errors)


def check_practitioner(db, service_id, practitioner_id, field="practitioner_id"):
    """A practitioner's list must be in a service they belong to as a practitioner."""
    if practitioner_id is None:
        return
    if not db.execute(
        """SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.user_id = ? AND m.service_id = ? AND m.role = 'practitioner' AND u.active = 1""",
        [practitioner_id, service_id],
    ).fetchone():
        raise ValidationError({field: ["Choose an active practitioner of this service."]})


def _check_service(db, service_id):
    row = db.execute("SELECT key, retired_at FROM services WHERE id = ?", [service_id]).fetchone()
    if row is None or row[1]:
        raise ValidationError({"service_id": ["Choose a service that is not retired."]})
    return row[0]


def add_to_caseload(db, user_id, child_id, data):
    """Open a caseload episode (a loaded CaseloadEntrySchema); returns its id."""
    with write_transaction(db):
        key = _check_service(db, data["service_id"])
        check_practitioner(db, data["service_id"], data["practitioner_id"])
        if db.execute(
            "SELECT 1 FROM caseloads WHERE child_id = ? AND service_id = ? AND discharged_on IS NULL",
            [child_id, data["service_id"]],
        ).fetchone():
            raise ValidationError({"service_id": ["The child is already on this service's caseload."]})
        started = (data["started_on"] or date.today()).isoformat()
        caseload_id = (
            db["caseloads"]
            .insert(
                {
                    "child_id": child_id,
                    "service_id": data["service_id"],
                    "practitioner_id": data["practitioner_id"],
                    "started_on": started,
                }
            )
            .last_pk
        )
        audit.record(db, user_id, "add to caseload", child_id, f"{key} from {started}")
        return caseload_id


def create_child_on_caseload(db, user_id, data):
    """Create a child (a loaded NewChildOnCaseloadSchema) and open their caseload episode."""
    row = child_row(data)
    with write_transaction(db):
        check_child_unique(db, row)
        _check_service(db, data["service_id"])
        check_practitioner(db, data["service_id"], data["practitioner_id"])
        child_id = db["children"].insert(row).last_pk
        audit.record(db, user_id, "create child", child_id, "")
        add_to_caseload(db, user_id, child_id, data)
        return child_id


def update_child(db, user_id, child_id, data):
    """Correct a child's details (a loaded ChildSchema)."""
    row = child_row(data)
    with write_transaction(db):
        check_child_unique(db, row, child_id)
        db["children"].update(child_id, dict(row, updated_at=_now(db)))
        audit.record(db, user_id, "update child", child_id, "")


def _now(db):
    return db.execute("SELECT datetime('now')").fetchone()[0]


def get_caseload(db, caseload_id):
    rows = list(
        db.query(
            """SELECT c.*, s.key AS service_key, s.name AS service_name FROM caseloads c
           JOIN services s ON s.id = c.service_id WHERE c.id = ?""",
            [caseload_id],
        )
    )
    return rows[0] if rows else None


def move(db, user_id, caseload_id, practitioner_id):
    """Put an open episode on another practitioner's list (None: nobody's list)."""
    with write_transaction(db):
        entry = get_caseload(db, caseload_id)
        if entry is None or entry["discharged_on"]:
            raise ValidationError({"caseload": ["Only a child on an open caseload can be moved."]})
        check_practitioner(db, entry["service_id"], practitioner_id)
        db["caseloads"].update(caseload_id, {"practitioner_id": practitioner_id})
        audit.record(
            db,
            user_id,
            "move caseload",
            entry["child_id"],
            f"{entry['service_key']} to practitioner {practitioner_id or 'none'}",
        )


def discharge_day(entry, discharged_on=None):
    """The ISO day an open episode would end on (today if none is given), or a ValidationError
    naming the field: checked before the confirmation step and again when discharging."""
    if entry is None or entry["discharged_on"]:
        raise ValidationError({"caseload": ["This child is not on that caseload now."]})
    day = (discharged_on or date.today()).isoformat()
    if day < entry["started_on"]:
        raise ValidationError({"discharged_on": ["The discharge date is before the episode started."]})
    return day


def discharge(db, user_id, caseload_id, discharged_on=None):
    """End an open episode; it stays as history and the child leaves the service's caseload."""
    with write_transaction(db):
        entry = get_caseload(db, caseload_id)
        day = discharge_day(entry, discharged_on)
        db["caseloads"].update(caseload_id, {"discharged_on": day})
        audit.record(db, user_id, "discharge", entry["child_id"], f"{entry['service_key']} on {day}")


def service_caseload(db, service_id, include_discharged=False):
    """A service's caseload episodes with the child's name and the practitioner's."""
    where = "" if include_discharged else "AND c.discharged_on IS NULL"
    return list(
        db.query(
            f"""SELECT c.id, c.child_id, c.started_on, c.discharged_on, c.practitioner_id,
                   ch.given_name, ch.family_name, ch.date_of_birth, u.name AS practitioner_name
            FROM caseloads c JOIN children ch ON ch.id = c.child_id
            LEFT JOIN users u ON u.id = c.practitioner_id
            WHERE c.service_id = ? {where}
            ORDER BY c.discharged_on IS NOT NULL, ch.family_name, ch.given_name""",
            [service_id],
        )
    )


def child_episodes(db, child_id):
    """Every caseload episode of a child, open ones first."""
    return list(
        db.query(
            """SELECT c.*, s.key AS service_key, s.name AS service_name, s.retired_at,
                  u.name AS practitioner_name
           FROM caseloads c JOIN services s ON s.id = c.service_id
           LEFT JOIN users u ON u.id = c.practitioner_id
           WHERE c.child_id = ? ORDER BY c.discharged_on IS NOT NULL, c.started_on DESC""",
            [child_id],
        )
    )


def practitioners_of(db, service_id):
    """Active practitioners of a service, for the caseload's 'practitioner' choice."""
    return list(
        db.query(
            """SELECT u.id, u.name, u.email FROM users u JOIN memberships m ON m.user_id = u.id
           WHERE m.service_id = ? AND m.role = 'practitioner' AND u.active = 1 ORDER BY u.name""",
            [service_id],
        )
    )


def search_children(db, text, limit=50):
    """Children whose name, NHS number or local id starts with `text` (the admin's child finder)."""
    text = (text or "").strip()
    like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(
        db.query(
            r"""SELECT id, given_name, family_name, date_of_birth, nhs_number, local_id FROM children
            WHERE given_name LIKE :like ESCAPE '\' OR family_name LIKE :like ESCAPE '\'
               OR (given_name || ' ' || family_name) LIKE :like ESCAPE '\'
               OR nhs_number = :digits OR local_id = :text
            ORDER BY family_name, given_name LIMIT :limit""",
            {"like": like, "digits": text.replace(" ", ""), "text": text, "limit": limit},
        )
    )
