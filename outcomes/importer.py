"""Import children and caseload entries from a CSV exported by a case-management system.

check() lists every problem (line, column, message) and writes nothing; import_csv()
imports only a clean file, all rows in one transaction. Rows are matched to children by
NHS number, then local id, so re-importing a file changes nothing and a changed row
updates its child. No Flask imports.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from marshmallow import ValidationError

from .db import write_transaction
from .errors import flatten_errors
from .schemas import ImportRowSchema

COLUMNS = [
    "local_id",
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "service",
    "practitioner_email",
    "started_on",
    "sen_status",
    "primary_need",
]
REQUIRED_COLUMNS = ["given_name", "family_name", "date_of_birth", "service"]
# A blank optional cell keeps what the child's record already holds (see _plan_actions).
CHILD_FIELDS = [
    "given_name",
    "family_name",
    "date_of_birth",
    "nhs_number",
    "local_id",
    "sen_status",
    "primary_need",
]
MAX_ROWS = 50_000


@dataclass
class Problem:
    line: int
    column: str
    message: str


@dataclass
class Plan:
    """What importing the file would do: problems, or one planned action per row."""

    problems: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    counts: dict = field(
        default_factory=lambda: dict.fromkeys(
            (
                "rows",
                "children_created",
                "children_updated",
                "caseloads_added",
                "caseloads_updated",
                "unchanged",
            ),
            0,
        )
    )

    @property
    def clean(self):
        return not self.problems


def _header(names):
    return [name.strip().lower().replace(" ", "_").lstrip("\ufeff") for name in names]


def read_rows(text, plan):
    """(line, {column: value}) for each non-blank row; header problems go into `plan`."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = _header(next(reader))
    except StopIteration:
        plan.problems.append(
            Problem(1, "", "The file is empty: it needs a header row and one row per child.")
        )
        return []
    except csv.Error as error:
        plan.problems.append(Problem(1, "", f"This is not a readable CSV file ({error})."))
        return []
    for name in header:
        if name and name not in COLUMNS:
            plan.problems.append(Problem(1, name, f"Unknown column. The columns are: {', '.join(COLUMNS)}."))
    for name in REQUIRED_COLUMNS:
        if name not in header:
            plan.problems.append(Problem(1, name, "This column is missing."))
    if "nhs_number" not in header and "local_id" not in header:
        plan.problems.append(
            Problem(1, "nhs_number", "Give an nhs_number or a local_id column to match children by.")
        )
    if len(set(header)) != len(header):
        plan.problems.append(Problem(1, "", "A column name appears twice."))
    if plan.problems:
        return []
    rows = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                plan.problems.append(
                    Problem(line, "", f"This row has {len(values)} values; the header has {len(header)}.")
                )
                continue
            rows.append(
                (
                    line,
                    {
                        name: value.strip()
                        for name, value in zip(header, values, strict=False)
                        if name and value.strip()
                    },
                )
            )
            if len(rows) > MAX_ROWS:
                plan.problems.append(Problem(line, "", f"Split the file: at most {MAX_ROWS} rows at a time."))
                return []
    except csv.Error as error:
        plan.problems.append(Problem(reader.line_num, "", f"This line cannot be read as CSV ({error})."))
    return rows


class _Lookups:
    """Everything the checks need from the database, read once (10,000 rows must stay fast)."""

    def __init__(self, db):
        self.services = {}
        for row in db.query("SELECT id, key, name FROM services WHERE retired_at IS NULL"):
            self.services[row["key"].lower()] = row
            self.services[row["name"].lower()] = row
        self.practitioners = {
            (row[0].lower(), row[1]): row[2]
            for row in db.execute(
                """SELECT u.email, m.service_id, u.id FROM users u JOIN memberships m ON m.user_id = u.id
                   WHERE m.role = 'practitioner' AND u.active = 1"""
            )
        }
        self.children = {
            row["id"]: row for row in db.query(f"SELECT id, {', '.join(CHILD_FIELDS)} FROM children")
        }
        self.by_nhs = {row["nhs_number"]: cid for cid, row in self.children.items() if row["nhs_number"]}
        self.by_local = {row["local_id"]: cid for cid, row in self.children.items() if row["local_id"]}
        self.open = {
            (row[1], row[2]): {"id": row[0], "practitioner_id": row[3], "started_on": row[4]}
            for row in db.execute(
                "SELECT id, child_id, service_id, practitioner_id, started_on FROM caseloads "
                "WHERE discharged_on IS NULL"
            )
        }
        self.closed = {
            (row[0], row[1], row[2])
            for row in db.execute(
                "SELECT child_id, service_id, started_on FROM caseloads WHERE discharged_on IS NOT NULL"
            )
        }


def check(db, text, today=None):
    """Plan the import of `text` (CSV) without writing anything."""
    today = (today or date.today()).isoformat()
    plan = Plan()
    rows = read_rows(text, plan)
    if plan.problems:
        return plan
    look = _Lookups(db)
    schema = ImportRowSchema()
    seen_nhs, seen_local, seen_pair, details = {}, {}, {}, {}
    for line, raw in rows:
        service = look.services.get(raw.get("service", "").lower())
        try:
            data = schema.load(raw)
        except ValidationError as error:
            for column, messages in flatten_errors(error.messages).items():
                plan.problems.extend(Problem(line, column, message) for message in messages)
            if raw.get("service") and service is None:
                plan.problems.append(_unknown_service(line, raw["service"]))
            continue
        row_problems = []
        child = {
            name: (data[name].isoformat() if name == "date_of_birth" else data[name]) for name in CHILD_FIELDS
        }
        if child["nhs_number"]:
            child["nhs_number"] = child["nhs_number"].replace(" ", "")
        if service is None:
            row_problems.append(_unknown_service(line, data["service"]))
        practitioner_id = None
        if data["practitioner_email"] and service is not None:
            practitioner_id = look.practitioners.get((data["practitioner_email"].lower(), service["id"]))
            if practitioner_id is None:
                row_problems.append(
                    Problem(
                        line,
                        "practitioner_email",
                        f"No active practitioner of {service['name']} has this email.",
                    )
                )
        # Which child this row is: in the database, and among the file's earlier rows.
        child_id, problem = _match_child(look, child, line)
        if problem:
            row_problems.append(problem)
        group, problem = _file_group(seen_nhs, seen_local, child, line)
        if problem:
            row_problems.append(problem)
        if group in details and details[group][1] != child:
            row_problems.append(
                Problem(
                    line, "given_name", f"Line {details[group][0]} gives different details for this child."
                )
            )
        details.setdefault(group, (line, child))
        if service is not None and (group, service["id"]) in seen_pair:
            row_problems.append(
                Problem(
                    line,
                    "service",
                    f"Duplicate: line {seen_pair[(group, service['id'])]} "
                    "already lists this child for this service.",
                )
            )
        if service is not None:
            seen_pair.setdefault((group, service["id"]), line)
        if row_problems:
            plan.problems.extend(row_problems)
            continue
        plan.rows.append(
            {
                "line": line,
                "group": group,
                "child": child,
                "child_id": child_id,
                "service": service,
                "practitioner_id": practitioner_id,
                "started_on": data["started_on"].isoformat() if data["started_on"] else None,
            }
        )
    if not plan.problems:
        _plan_actions(plan, look, today)
    return plan


def _unknown_service(line, name):
    return Problem(line, "service", f"Unknown service {name!r}: use a key or name from the Services page.")


def _match_child(look, child, line):
    by_nhs = look.by_nhs.get(child["nhs_number"]) if child["nhs_number"] else None
    by_local = look.by_local.get(child["local_id"]) if child["local_id"] else None
    if by_nhs and by_local and by_nhs != by_local:
        return None, Problem(
            line, "local_id", "The NHS number matches one child and the local id another: check both."
        )
    return by_nhs or by_local, None


def _file_group(seen_nhs, seen_local, child, line):
    """The first line of the file naming this child (by NHS number or local id)."""
    by_nhs = seen_nhs.get(child["nhs_number"]) if child["nhs_number"] else None
    by_local = seen_local.get(child["local_id"]) if child["local_id"] else None
    if by_nhs and by_local and by_nhs != by_local:
        return by_nhs, Problem(
            line, "local_id", f"The NHS number is on line {by_nhs} but the local id on line {by_local}."
        )
    group = by_nhs or by_local or line
    if child["nhs_number"]:
        seen_nhs.setdefault(child["nhs_number"], group)
    if child["local_id"]:
        seen_local.setdefault(child["local_id"], group)
    return group, None


def _plan_actions(plan, look, today):
    """Decide, per row, whether the child and the caseload entry are new, changed or unchanged."""
    counts = plan.counts
    counts["rows"] = len(plan.rows)
    planned_children = {}
    for row in plan.rows:
        existing = look.children.get(row["child_id"]) if row["child_id"] else None
        if row["group"] in planned_children:
            row["child_action"] = "same child as an earlier line"
        elif existing is None:
            row["child_action"] = "create"
            counts["children_created"] += 1
        else:
            merged = {name: row["child"][name] or existing[name] for name in CHILD_FIELDS}
            changed = any(merged[name] != existing[name] for name in CHILD_FIELDS)
            row["child"] = merged
            row["child_action"] = "update" if changed else "unchanged"
            counts["children_updated"] += changed
        planned_children[row["group"]] = True
        episode = look.open.get((row["child_id"], row["service"]["id"])) if row["child_id"] else None
        if episode is None:
            started = row["started_on"] or today
            if row["child_id"] and (row["child_id"], row["service"]["id"], started) in look.closed:
                row["caseload_action"] = "unchanged"  # the same, already discharged, episode
            else:
                row["caseload_action"] = "add"
                row["started_on"] = started
                counts["caseloads_added"] += 1
        else:
            row["episode_id"] = episode["id"]
            practitioner = row["practitioner_id"] or episode["practitioner_id"]
            started = row["started_on"] or episode["started_on"]
            changed = (practitioner, started) != (episode["practitioner_id"], episode["started_on"])
            row["practitioner_id"], row["started_on"] = practitioner, started
            row["caseload_action"] = "update" if changed else "unchanged"
            counts["caseloads_updated"] += changed
        if (
            row["child_action"] in ("unchanged", "same child as an earlier line")
            and row["caseload_action"] == "unchanged"
        ):
            counts["unchanged"] += 1


def import_csv(db, user_id, text, today=None):
    """Check the file and, only if it is clean, import every row in one transaction.

    Returns the Plan (with problems, in which case nothing was written).
    """
    with write_transaction(db):
        plan = check(db, text, today)
        if plan.clean:
            _apply(db, user_id, plan)
    return plan


def _apply(db, user_id, plan):
    conn = db.conn
    child_ids, audit_rows = {}, []
    for row in plan.rows:
        child = row["child"]
        if row["child_action"] == "create":
            cursor = conn.execute(
                f"INSERT INTO children ({', '.join(CHILD_FIELDS)}) "
                f"VALUES ({', '.join('?' for _ in CHILD_FIELDS)})",
                [child[name] for name in CHILD_FIELDS],
            )
            child_ids[row["group"]] = cursor.lastrowid
            audit_rows.append((user_id, "create child", cursor.lastrowid, f"import line {row['line']}"))
        elif row["child_action"] == "update":
            conn.execute(
                f"UPDATE children SET {', '.join(f'{name} = ?' for name in CHILD_FIELDS)}, "
                "updated_at = datetime('now') WHERE id = ?",
                [child[name] for name in CHILD_FIELDS] + [row["child_id"]],
            )
            audit_rows.append((user_id, "update child", row["child_id"], f"import line {row['line']}"))
        if row["child_id"]:
            child_ids.setdefault(row["group"], row["child_id"])
        child_id = child_ids[row["group"]]
        key = row["service"]["key"]
        if row["caseload_action"] == "add":
            conn.execute(
                "INSERT INTO caseloads (child_id, service_id, practitioner_id, started_on) "
                "VALUES (?, ?, ?, ?)",
                [child_id, row["service"]["id"], row["practitioner_id"], row["started_on"]],
            )
            audit_rows.append(
                (
                    user_id,
                    "add to caseload",
                    child_id,
                    f"{key} from {row['started_on']} (import line {row['line']})",
                )
            )
        elif row["caseload_action"] == "update":
            conn.execute(
                "UPDATE caseloads SET practitioner_id = ?, started_on = ? WHERE id = ?",
                [row["practitioner_id"], row["started_on"], row["episode_id"]],
            )
            audit_rows.append((user_id, "update caseload", child_id, f"{key} (import line {row['line']})"))
    conn.executemany(
        "INSERT INTO audit_log (user_id, action, child_id, detail) VALUES (?, ?, ?, ?)", audit_rows
    )


def purge_stale(db):
    """Drop previews nobody confirmed within a day (they hold children's details); returns how many."""
    with write_transaction(db):
        return db.execute("DELETE FROM import_uploads WHERE created_at < datetime('now', '-1 day')").rowcount


def stage(db, user_id, filename, text):
    """Keep a clean upload until the admin confirms it; returns its id. Day-old uploads are dropped."""
    with write_transaction(db):
        purge_stale(db)
        return (
            db["import_uploads"].insert({"user_id": user_id, "filename": filename, "content": text}).last_pk
        )


def staged(db, upload_id, user_id):
    """The staged upload with this id, if this user made it within the last day; else None."""
    rows = list(
        db.query(
            """SELECT * FROM import_uploads WHERE id = ? AND user_id IS ?
               AND created_at >= datetime('now', '-1 day')""",
            [upload_id, user_id],
        )
    )
    return rows[0] if rows else None


def import_staged(db, user_id, upload):
    """Import a staged upload (checked again first); it is deleted once imported."""
    with write_transaction(db):
        purge_stale(db)
        plan = import_csv(db, user_id, upload["content"])
        if plan.clean:
            db.execute("DELETE FROM import_uploads WHERE id = ?", [upload["id"]])
    return plan
