"""Every `flask --app outcomes ...` command: the database, demo data, every admin action, feed tokens.

Input goes through the same marshmallow schemas as the admin pages; a refused input prints
each field's message, exits with status 1 and writes nothing. Writes that touch a child are
audited with no user (the command line).
"""

import json

import click
from flask import current_app, url_for
from flask.cli import with_appcontext
from marshmallow import ValidationError

from . import (
    audit,
    backup,
    children,
    demo,
    facts,
    family,
    importer,
    mail,
    periods,
    region,
    retention,
    services,
    stars,
    subject_access,
    tokens,
    users,
)
from .db import get_db, migrate, write_transaction
from .errors import flatten_errors
from .schemas import (
    AuditFilterSchema,
    CaseloadEntrySchema,
    DischargeSchema,
    NewChildOnCaseloadSchema,
    ServiceSchema,
    ServiceUpdateSchema,
    StaffSchema,
    StaffUpdateSchema,
    StarSchema,
)

LOCAL_URL = "http://127.0.0.1:5000"


def _refuse(error):
    lines = [f"  {field}: {' '.join(messages)}" for field, messages in flatten_errors(error.messages).items()]
    raise click.ClickException("Nothing was changed:\n" + "\n".join(lines))


def _load(schema, data):
    try:
        return schema.load({key: value for key, value in data.items() if value not in (None, "", ())})
    except ValidationError as error:
        _refuse(error)


def _do(function, *args):
    try:
        return function(*args)
    except ValidationError as error:
        _refuse(error)


def _service(key):
    service = services.service_by_key(get_db(), key)
    if service is None:
        raise click.ClickException(f"No active service has the key {key!r}.")
    return service


def _user(email):
    user = users.user_by_email(get_db(), email)
    if user is None:
        raise click.ClickException(f"No account has the email {email!r}.")
    return user


def _child(reference):
    child = children.find_child(get_db(), reference)
    if child is None:
        raise click.ClickException(f"No child has the record number, NHS number or local id {reference!r}.")
    return child


def _open_episode(child_id, service_id):
    row = (
        get_db()
        .execute(
            "SELECT id FROM caseloads WHERE child_id = ? AND service_id = ? AND discharged_on IS NULL",
            [child_id, service_id],
        )
        .fetchone()
    )
    if row is None:
        raise click.ClickException("The child is not on that service's caseload.")
    return row[0]


def _link(token, base_url):
    """The one-time link on --base-url, else the configured BASE_URL, else the local address."""
    base_url = base_url or current_app.config.get("BASE_URL") or LOCAL_URL
    with current_app.test_request_context(base_url=base_url):
        return url_for("auth.reset_password_link", token=token, _external=True)


def _send_or_print(email, token, base_url, new):
    """Email the link when mail is configured; print it when not, or when the send fails."""
    link = _link(token, base_url)
    if mail.configured():
        try:
            mail.send_password_link(users.user_by_email(get_db(), email), link, new)
        except mail.NotSent as failure:
            click.echo(f"The email was not sent: {failure.message} Pass this link on by hand:", err=True)
        else:
            click.echo(f"Emailed a one-time link to set a password to {email}.")
            return
    click.echo(link)


# --- Services ---


@click.command("create-service")
@click.argument("key")
@click.argument("name")
@click.option("--interval", type=int, default=182, show_default=True, help="Review interval in days.")
@with_appcontext
def create_service_command(key, name, interval):
    """Create a service with a short KEY (used in URLs and the import CSV) and a NAME."""
    data = _load(ServiceSchema(), {"key": key, "name": name, "review_interval_days": interval})
    _do(services.create_service, get_db(), data)
    click.echo(f"Created service {key}: {name}, reviews every {interval} days. Publish a star for it next.")


@click.command("update-service")
@click.argument("key")
@click.option("--name", help="New name.")
@click.option("--interval", type=int, help="New review interval in days.")
@with_appcontext
def update_service_command(key, name, interval):
    """Rename a service or change its review interval."""
    service = _service(key)
    data = _load(
        ServiceUpdateSchema(),
        {
            "name": name or service["name"],
            "review_interval_days": interval or service["review_interval_days"],
        },
    )
    services.update_service(get_db(), service["id"], data)
    click.echo(f"Service {key}: {data['name']}, reviews every {data['review_interval_days']} days.")


@click.command("retire-service")
@click.argument("key")
@with_appcontext
def retire_service_command(key):
    """Retire a service: no new reviews, its open caseload discharged, its history kept."""
    discharged = _do(services.retire_service, get_db(), _service(key)["id"])
    click.echo(f"Retired {key}; {discharged} children discharged from its caseload.")


# --- Stars ---


@click.command("save-star")
@click.argument("json_file", type=click.File("r"))
@click.option("--publish-for", "service_key", help="Publish it at once for the service with this key.")
@click.option("--publish", is_flag=True, help="Publish it for the services already using it.")
@with_appcontext
def save_star_command(json_file, service_key, publish):
    """Create a star, or save a new version of one, from a JSON file.

    The file: {"key", "name", "scale_min", "scale_max", "meaningful_change", "stages": [five names],
    "domains": [{"key", "label", "description", "child_wording"}, ...]} (4 to 12 domains; keys and
    child_wording, the words read to the child in the child's view, optional;
    meaningful_change optional: points of change that count as meaningful, > 0, at most the scale's range).
    """
    try:
        body = json.load(json_file)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"The file is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise click.ClickException("The file must hold one JSON object.")
    data = _load(StarSchema(), body)
    db = get_db()
    key = data["key"] or stars.slug(data["name"])
    existing = db.execute("SELECT id FROM stars WHERE key = ?", [key]).fetchone()
    if existing:
        star_id = existing[0]
        _, new_version = stars.save_star(db, star_id, data)
        click.echo(f"Saved {key}" + (" as a new draft version." if new_version else " (draft updated)."))
    else:
        star_id = _do(stars.save_new_star, db, data)
        click.echo(f"Created star {key} as a draft.")
    if service_key or publish:
        service_id = _service(service_key)["id"] if service_key else None
        version = _do(stars.publish, db, star_id, service_id)
        click.echo(f"Published version {version}" + (f" for {service_key}." if service_key else "."))


@click.command("publish-star")
@click.argument("star_key")
@click.option("--service", "service_key", help="The service whose new reviews should use this star.")
@with_appcontext
def publish_star_command(star_key, service_key):
    """Publish a star's newest version, optionally for a service."""
    row = get_db().execute("SELECT id FROM stars WHERE key = ?", [star_key]).fetchone()
    if row is None:
        raise click.ClickException(f"No star has the key {star_key!r}.")
    service_id = _service(service_key)["id"] if service_key else None
    version = _do(stars.publish, get_db(), row[0], service_id)
    click.echo(f"Published {star_key} version {version}" + (f" for {service_key}." if service_key else "."))


# --- People ---


def _service_ids(keys):
    return [_service(key)["id"] for key in keys]


@click.command("create-staff")
@click.argument("email")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["practitioner", "manager", "admin"]),
    default="practitioner",
    show_default=True,
    help="What the account may do.",
)
@click.option("--practitioner-of", multiple=True, metavar="SERVICE", help="Service key (repeatable).")
@click.option("--manager-of", multiple=True, metavar="SERVICE", help="Service key (repeatable).")
@click.option("--base-url", help="The app's address, for the link (default: BASE_URL in the config).")
@with_appcontext
def create_staff_command(email, name, role, practitioner_of, manager_of, base_url):
    """Create a staff account and print its one-time link for setting a password."""
    data = _load(StaffSchema(), {"email": email, "name": name, "role": role})
    data.update(practitioner_of=_service_ids(practitioner_of), manager_of=_service_ids(manager_of))
    user_id, token = _do(users.create_staff, get_db(), data)
    click.echo(
        f"Created {email}. Their one-time link to set a password is valid "
        f"{int(users.RESET_LIFETIME.total_seconds() // 3600)} hours:"
    )
    _send_or_print(email, token, base_url, new=True)


@click.command("update-staff")
@click.argument("email")
@click.option("--name", help="New name.")
@click.option("--role", type=click.Choice(["practitioner", "manager", "admin"]), help="New role.")
@click.option(
    "--practitioner-of", multiple=True, metavar="SERVICE", help="Replaces their practitioner services."
)
@click.option("--manager-of", multiple=True, metavar="SERVICE", help="Replaces their managed services.")
@with_appcontext
def update_staff_command(email, name, role, practitioner_of, manager_of):
    """Change a staff account's name, role or service memberships."""
    db = get_db()
    user = _user(email)
    held = users.memberships(db, user["id"])
    data = _load(StaffUpdateSchema(), {"name": name or user["name"], "role": role or user["role"]})
    data["practitioner_of"] = _service_ids(practitioner_of) if practitioner_of else held["practitioner"]
    data["manager_of"] = _service_ids(manager_of) if manager_of else held["manager"]
    _do(users.update_staff, db, user["id"], data)
    click.echo(f"Saved {email}.")


@click.command("password-link")
@click.argument("email")
@click.option("--base-url", help="The app's address, for the link (default: BASE_URL in the config).")
@with_appcontext
def password_link_command(email, base_url):
    """Print a one-time link for the account to set a new password (earlier links stop working)."""
    token = _do(users.create_reset, get_db(), _user(email)["id"])
    _send_or_print(email, token, base_url, new=False)


@click.command("deactivate-user")
@click.argument("email")
@with_appcontext
def deactivate_user_command(email):
    """Stop an account signing in; their reviews and history stay."""
    _do(users.set_active, get_db(), _user(email)["id"], False)
    click.echo(f"Deactivated {email}.")


@click.command("reactivate-user")
@click.argument("email")
@with_appcontext
def reactivate_user_command(email):
    """Let a deactivated account sign in again (send a new password link)."""
    _do(users.set_active, get_db(), _user(email)["id"], True)
    click.echo(f"Reactivated {email}.")


@click.command("sign-out-everywhere")
@click.argument("email")
@with_appcontext
def sign_out_everywhere_command(email):
    """End every session of an account on every device now (a lost tablet, a leaver)."""
    ended = users.sign_out_everywhere(get_db(), _user(email)["id"])
    click.echo(f"Signed {email} out everywhere ({ended} session{'' if ended == 1 else 's'} ended).")


# --- Children and caseloads ---


@click.command("add-child")
@click.option("--given-name", required=True)
@click.option("--family-name", required=True)
@click.option("--date-of-birth", required=True, help="YYYY-MM-DD or DD/MM/YYYY.")
@click.option("--nhs-number", help="Checked with its modulus-11 check digit.")
@click.option("--local-id", help="The case-management system's id.")
@click.option("--sen-status", help="EHC plan, SEN support or No SEN (or ehc_plan, sen_support, none).")
@click.option(
    "--primary-need", help="SEN2 code: SLCN, ASD, SEMH, SPLD, MLD, SLD, PMLD, PD, HI, VI, MSI, OTH, NSA."
)
@click.option("--service", "service_key", required=True, help="Service key whose caseload they join.")
@click.option("--practitioner", help="Email of the practitioner whose list they join.")
@click.option("--started-on", help="Start of the episode (default today).")
@with_appcontext
def add_child_command(
    given_name,
    family_name,
    date_of_birth,
    nhs_number,
    local_id,
    sen_status,
    primary_need,
    service_key,
    practitioner,
    started_on,
):
    """Create a child and put them on a service's caseload."""
    service = _service(service_key)
    data = _load(
        NewChildOnCaseloadSchema(),
        {
            "given_name": given_name,
            "family_name": family_name,
            "date_of_birth": date_of_birth,
            "nhs_number": nhs_number,
            "local_id": local_id,
            "sen_status": sen_status,
            "primary_need": primary_need,
            "service_id": service["id"],
            "practitioner_id": _user(practitioner)["id"] if practitioner else None,
            "started_on": started_on,
        },
    )
    child_id = _do(children.create_child_on_caseload, get_db(), None, data)
    click.echo(f"Added child {child_id} to the {service['name']} caseload.")


@click.command("add-to-caseload")
@click.argument("child")
@click.argument("service_key")
@click.option("--practitioner", help="Email of the practitioner whose list they join.")
@click.option("--started-on", help="Start of the episode (default today).")
@with_appcontext
def add_to_caseload_command(child, service_key, practitioner, started_on):
    """Put a child (record number, NHS number or local id) on another service's caseload."""
    record, service = _child(child), _service(service_key)
    data = _load(
        CaseloadEntrySchema(),
        {
            "service_id": service["id"],
            "started_on": started_on,
            "practitioner_id": _user(practitioner)["id"] if practitioner else None,
        },
    )
    _do(children.add_to_caseload, get_db(), None, record["id"], data)
    click.echo(f"Added child {record['id']} to the {service['name']} caseload.")


@click.command("move-child")
@click.argument("child")
@click.argument("service_key")
@click.option("--practitioner", help="Email of the new practitioner (omit for nobody's list).")
@with_appcontext
def move_child_command(child, service_key, practitioner):
    """Move a child on a service's caseload to another practitioner's list."""
    record, service = _child(child), _service(service_key)
    episode = _open_episode(record["id"], service["id"])
    _do(children.move, get_db(), None, episode, _user(practitioner)["id"] if practitioner else None)
    click.echo(f"Moved child {record['id']} to {practitioner or 'no practitioner'}'s list.")


@click.command("discharge-child")
@click.argument("child")
@click.argument("service_key")
@click.option("--on", "discharged_on", help="Discharge date (default today).")
@with_appcontext
def discharge_child_command(child, service_key, discharged_on):
    """Discharge a child from a service's caseload (the episode stays as history)."""
    record, service = _child(child), _service(service_key)
    data = _load(DischargeSchema(), {"discharged_on": discharged_on})
    _do(children.discharge, get_db(), None, _open_episode(record["id"], service["id"]), data["discharged_on"])
    click.echo(f"Discharged child {record['id']} from {service['name']}.")


@click.command("import-children")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--check-only", is_flag=True, help="List problems and what would change; import nothing.")
@with_appcontext
def import_children_command(csv_file, check_only):
    """Import children and caseload entries from a CSV file (columns in docs/admin.md).

    Every problem is listed as line, column and message; nothing is imported unless the whole
    file is clean. Re-importing the same file changes nothing.
    """
    try:
        with open(csv_file, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        raise click.ClickException("The file is not UTF-8 text: save it as 'CSV UTF-8'.") from None
    db = get_db()
    plan = importer.check(db, text) if check_only else importer.import_csv(db, None, text)
    for problem in plan.problems:
        click.echo(f"line {problem.line}, {problem.column or '(row)'}: {problem.message}", err=True)
    if not plan.clean:
        raise click.ClickException(f"{len(plan.problems)} problems; nothing was imported.")
    counts = plan.counts
    verb = "Would import" if check_only else "Imported"
    click.echo(
        f"{verb} {counts['rows']} rows: {counts['children_created']} children created, "
        f"{counts['children_updated']} updated, {counts['caseloads_added']} caseload entries added, "
        f"{counts['caseloads_updated']} changed, {counts['unchanged']} unchanged."
    )


# --- Audit and subject access ---


@click.command("audit-log")
@click.option("--user", "email", help="Only this account's entries (email).")
@click.option("--child", help="Only this child's (record number, NHS number or local id).")
@click.option("--from", "date_from", help="From this date (YYYY-MM-DD), inclusive.")
@click.option("--to", "date_to", help="To this date, inclusive.")
@click.option(
    "--output", type=click.File("w"), default="-", help="CSV file to write (default: standard output)."
)
@with_appcontext
def audit_log_command(email, child, date_from, date_to, output):
    """Write the audit trail (who viewed or changed which child, when) as CSV."""
    data = _load(AuditFilterSchema(), {"date_from": date_from, "date_to": date_to})
    audit.write_csv(
        audit.entries(
            get_db(),
            user_id=_user(email)["id"] if email else None,
            child_id=_child(child)["id"] if child else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
        ),
        output,
    )


@click.command("subject-access")
@click.argument("child")
@click.option(
    "--output", type=click.File("w"), default="-", help="JSON file to write (default: standard output)."
)
@with_appcontext
def subject_access_command(child, output):
    """Export everything held about one child as JSON (the export itself is audited)."""
    db = get_db()
    record = _child(child)
    with write_transaction(db):
        audit.record(db, None, "subject access export", record["id"], "command line")
    json.dump(subject_access.export(db, record["id"]), output, indent=2, ensure_ascii=False)
    output.write("\n")


# --- Data protection: erasure, retention, family links, import previews ---


@click.command("erase-child")
@click.argument("child")
@click.option("--yes", is_flag=True, help="Do it without asking (for scripts).")
@with_appcontext
def erase_child_command(child, yes):
    """Erase CHILD on request: name, birth day, NHS number, local id, notes and family links removed.

    The anonymised record's reviews keep counting in the scorecard (docs/admin.md lists what stays).
    """
    record = _child(child)
    if not yes:
        click.confirm(
            f"Erase record {record['id']} ({children.full_name(record)})? This cannot be undone", abort=True
        )
    if retention.erase(get_db(), None, record["id"], "request"):
        click.echo(f"Record {record['id']} is erased; its reviews count only in aggregate figures.")
    else:
        click.echo(f"Record {record['id']} was already anonymised.")


@click.command("anonymise-expired")
@click.option("--dry-run", is_flag=True, help="Only say how many records would be anonymised.")
@with_appcontext
def anonymise_expired_command(dry_run):
    """Anonymise every child past retention (their RETENTION_YEARS birthday; 25 unless configured)."""
    years = current_app.config.get("RETENTION_YEARS", retention.DEFAULT_RETENTION_YEARS)
    if dry_run:
        click.echo(
            f"{len(retention.expired(get_db(), years=years))} records are past retention ({years} years)."
        )
        return
    done = retention.anonymise_expired(get_db(), years=years)
    click.echo(f"{done} records anonymised (retention: {years}th birthday).")


@click.command("unlink-parent")
@click.argument("email")
@click.argument("child")
@with_appcontext
def unlink_parent_command(email, child):
    """Stop the parent with EMAIL seeing CHILD (their other children stay linked)."""
    user, record = _user(email), _child(child)
    if not family.unlink(get_db(), None, user["id"], record["id"]):
        raise click.ClickException(f"{email} is not linked to record {record['id']}.")
    click.echo(f"{email} no longer sees record {record['id']}.")


@click.command("purge-imports")
@with_appcontext
def purge_imports_command():
    """Delete import previews nobody confirmed within a day (also done on every upload and import)."""
    click.echo(f"{importer.purge_stale(get_db())} unconfirmed import previews deleted.")


@click.command("rebuild-facts")
@with_appcontext
def rebuild_facts_command():
    """Rebuild the scorecard's stored facts and the caseload's last review dates from every review
    (they are kept current on every write; this is for after restoring an old backup, or to check them)."""
    counts = facts.rebuild(get_db())
    click.echo(
        f"Rebuilt the scorecard's facts: {counts['review_facts']} counted reviews, "
        f"{counts['review_domain_facts']} distances by domain."
    )


# --- Backups ---


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    """Write a consistent copy of the database to PATH (a new file), safe while the app serves."""
    try:
        backup.backup(current_app.config["DATABASE"], path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {current_app.config['DATABASE']} to {path} (integrity ok).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do it without asking (for scripts).")
@with_appcontext
def restore_command(path, yes):
    """Replace the database's content with the backup at PATH (checked first), then migrate it."""
    try:
        backup.check(path)
        if not yes:
            click.confirm(f"Replace everything in {current_app.config['DATABASE']} with {path}?", abort=True)
        version = backup.restore(path, current_app.config["DATABASE"])
    except backup.BackupError as error:
        raise click.ClickException(f"Nothing was changed: {error}") from None
    click.echo(f"Restored {path} into {current_app.config['DATABASE']} (schema version {version}).")


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database or apply any pending migrations."""
    version = migrate(get_db())
    click.echo(f"Database at schema version {version}: {current_app.config['DATABASE']}")


@click.command("seed-demo")
@with_appcontext
@click.option(
    "--password", default="outcomes-demo", show_default=True, help="Password for every demo account."
)
def seed_demo_command(password):
    """Fill an empty database with generated demo data and print the demo accounts."""
    db = get_db()
    migrate(db)
    if db["users"].count:
        click.echo("The database already has accounts; leaving it as it is.")
        click.echo("Demo accounts (with the password given when they were seeded):")
    else:
        sizes = demo.seed(db, password)
        click.echo(
            f"Seeded {sizes['children']} children and {sizes['reviews']} reviews into "
            f"{current_app.config['DATABASE']}."
        )
        click.echo(f"Demo accounts (password: {password}):")
    for email in demo.ACCOUNTS:
        click.echo(f"  {email}")


@click.command("create-token")
@click.argument("name")
@with_appcontext
def create_token_command(name):
    """Create a scorecard feed token called NAME and print it once (only its hash is kept)."""
    try:
        token = tokens.create_token(get_db(), name)
    except tokens.TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Token '{name}' (shown only now; store it in the client's settings):")
    click.echo(token)


@click.command("revoke-token")
@click.argument("name")
@with_appcontext
def revoke_token_command(name):
    """Revoke the feed token called NAME; clients using it get 401 from then on."""
    try:
        tokens.revoke_token(get_db(), name)
    except tokens.TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Token '{name}' is revoked.")


@click.command("list-tokens")
@with_appcontext
def list_tokens_command():
    """List feed tokens by name, with when each was made, last used and revoked (never the token)."""
    for row in tokens.list_tokens(get_db()):
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        click.echo(
            f"{row['name']}: created {row['created_at']}, last used {row['last_used_at'] or 'never'}, {state}"
        )


@click.command("pull-feeds")
@click.option(
    "--quarters", type=click.IntRange(1, 12), default=None, help="How many recent quarters (default 4)."
)
@with_appcontext
def pull_feeds_command(quarters):
    """Fetch every member area's scorecard feed for the recent quarters and store it (a region only).

    An area whose feed cannot be fetched keeps its last good figures, marked on the region page;
    the command then exits with status 1 naming it, so a scheduler notices.
    """
    try:
        member_areas = region.areas(current_app.config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if not member_areas:
        raise click.ClickException("This instance is not a region: set REGION_AREAS (docs/region.md).")
    count = quarters or int(current_app.config.get("REGION_QUARTERS", 4))
    recent = region.recent_quarters(periods.uk_today(), count)
    timeout = float(current_app.config.get("REGION_FEED_TIMEOUT", 30))
    results = region.pull(
        get_db(),
        member_areas,
        recent,
        timeout,
        progress=lambda area, q: click.echo(f"{area['key']} {q.label} fetched"),
    )
    failed = {key: error for key, error in results.items() if error}
    for area in member_areas:
        click.echo(
            f"{area['key']}: "
            + (f"NOT UPDATED, {failed[area['key']]}" if area["key"] in failed else "updated")
        )
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(member_areas)} areas could not be fetched.")


COMMANDS = [
    init_db_command,
    seed_demo_command,
    create_service_command,
    update_service_command,
    retire_service_command,
    save_star_command,
    publish_star_command,
    create_staff_command,
    update_staff_command,
    password_link_command,
    deactivate_user_command,
    reactivate_user_command,
    sign_out_everywhere_command,
    add_child_command,
    add_to_caseload_command,
    move_child_command,
    discharge_child_command,
    import_children_command,
    audit_log_command,
    subject_access_command,
    create_token_command,
    revoke_token_command,
    list_tokens_command,
    erase_child_command,
    anonymise_expired_command,
    unlink_parent_command,
    purge_imports_command,
    rebuild_facts_command,
    backup_command,
    restore_command,
    pull_feeds_command,
]


def init_app(app):
    for command in COMMANDS:
        app.cli.add_command(command)
