"""Services: create, rename, set the review interval, retire. No Flask imports."""

from datetime import date

from marshmallow import ValidationError

from .db import write_transaction


def list_services(db, include_retired=True):
    """Services with their star's name and open caseload size, active ones first."""
    retired = "" if include_retired else "WHERE s.retired_at IS NULL"
    return list(
        db.query(
            f"""SELECT s.*, st.name AS star_name,
                   (SELECT count(*) FROM caseloads c
                     WHERE c.service_id = s.id AND c.discharged_on IS NULL) AS open_caseload
            FROM services s LEFT JOIN stars st ON st.id = s.star_id
            {retired}
            ORDER BY s.retired_at IS NOT NULL, s.name"""
        )
    )


def active_services(db):
    return list_services(db, include_retired=False)


def get_service(db, service_id):
    rows = list(db.query("SELECT * FROM services WHERE id = ?", [service_id]))
    return rows[0] if rows else None


def service_by_key(db, key, include_retired=False):
    retired = "" if include_retired else "AND retired_at IS NULL"
    rows = list(db.query(f"SELECT * FROM services WHERE key = ? {retired}", [key]))
    return rows[0] if rows else None


def create_service(db, data):
    """Insert a service from a loaded ServiceSchema; returns its id."""
    with write_transaction(db):
        if db.execute("SELECT 1 FROM services WHERE key = ?", [data["key"]]).fetchone():
            raise ValidationError({"key": ["A service already has this key."]})
        return (
            db["services"]
            .insert(
                {
                    "key": data["key"],
                    "name": data["name"].strip(),
                    "review_interval_days": data["review_interval_days"],
                }
            )
            .last_pk
        )


def update_service(db, service_id, data, today=None):
    """Rename a service or change its review interval (a loaded ServiceUpdateSchema).

    A new interval is kept with the UK date it takes effect (today), so the scorecard judges
    earlier reviews by the interval that was in force for them.
    """
    from .periods import uk_today

    with write_transaction(db):
        old = db.execute("SELECT review_interval_days FROM services WHERE id = ?", [service_id]).fetchone()
        if old and old[0] != data["review_interval_days"]:
            db.execute(
                "INSERT OR REPLACE INTO service_intervals (service_id, review_interval_days, effective_from) "
                "VALUES (?, ?, ?)",
                [service_id, data["review_interval_days"], (today or uk_today()).isoformat()],
            )
        db["services"].update(
            service_id,
            {
                "name": data["name"].strip(),
                "review_interval_days": data["review_interval_days"],
            },
        )


def retire_service(db, service_id, user_id=None, today=None):
    """Retire a service: it leaves every new-review and caseload choice; its history stays.

    Its open caseload episodes end on the retirement date (a retired service reviews no one);
    each discharge is audited. Returns how many children were discharged.
    """
    from . import audit

    today = (today or date.today()).isoformat()
    with write_transaction(db):
        service = get_service(db, service_id)
        if service is None or service["retired_at"]:
            raise ValidationError({"service": ["This service is already retired."]})
        open_rows = list(
            db.query(
                "SELECT id, child_id FROM caseloads WHERE service_id = ? AND discharged_on IS NULL",
                [service_id],
            )
        )
        db.execute(
            "UPDATE caseloads SET discharged_on = ? WHERE service_id = ? AND discharged_on IS NULL",
            [today, service_id],
        )
        db["services"].update(service_id, {"retired_at": today})
        for row in open_rows:
            audit.record(db, user_id, "discharge", row["child_id"], f"{service['key']}: service retired")
        return len(open_rows)
