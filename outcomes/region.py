"""The regional view: an instance set up as a region pulls its member areas' published feeds and
compares them side by side. No child's record ever leaves an area: the region holds only what
each area's disclosure-controlled feed gives, so a figure an area withholds is never seen here.

Member areas are instance configuration (REGION_AREAS), not database rows: each token is the
region's own credential for that area's feed and has to be sent as it is, so it cannot be stored
as a hash; it lives beside the secret key, outside the database and its backups.
No Flask imports.
"""

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

from . import periods
from .db import write_transaction
from .scorecard import MEASURES

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MEASURE_NAMES = [name for name, _, _, _ in MEASURES]
# A feed a region pulls is a few kilobytes a quarter; anything far bigger is not a scorecard.
MAX_FEED_BYTES = 5 * 1024 * 1024


class FeedError(Exception):
    """An area's feed could not be fetched or was not a scorecard: said in a sentence."""


def areas(config):
    """The member areas from REGION_AREAS, checked: [{key, name, feed_url, token}]; [] when the
    instance is not a region. ValueError naming the bad entry otherwise."""
    found = []
    for index, area in enumerate(config.get("REGION_AREAS") or []):
        where = f"REGION_AREAS[{index}]"
        if not isinstance(area, dict):
            raise ValueError(f"{where}: give a dict with key, name, feed_url and token.")
        key, url, token = str(area.get("key", "")), str(area.get("feed_url", "")), str(area.get("token", ""))
        if not KEY.match(key) or key in {a["key"] for a in found}:
            raise ValueError(f"{where}: give a unique key of lower-case letters, digits, '-' or '_'.")
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"{where}: feed_url must be the area's https://…/api/v1/scorecard address.")
        if not token:
            raise ValueError(f"{where}: give the token the area made for the region (create-token).")
        found.append({"key": key, "name": str(area.get("name") or key), "feed_url": url, "token": token})
    return found


def recent_quarters(today, count):
    """The `count` complete quarters before today, oldest first: what a pull fetches."""
    return periods.quarters_up_to(periods.default_period(today), count)


def fetch(area, label, timeout):
    """One quarter of an area's feed as parsed JSON; FeedError saying why not."""
    url = (
        area["feed_url"]
        + ("&" if "?" in area["feed_url"] else "?")
        + urllib.parse.urlencode({"period": label})
    )
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {area['token']}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_FEED_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise FeedError(f"the feed answered {error.code} for {label}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FeedError(f"could not reach the feed for {label} ({reason})") from error
    if len(body) > MAX_FEED_BYTES:
        raise FeedError(f"the feed for {label} is larger than a scorecard can be")
    try:
        return json.loads(body)
    except ValueError as error:
        raise FeedError(f"the feed for {label} is not JSON") from error


def figures_of(card, label):
    """Rows to store from one quarter's card: only published values; a withheld figure stays NULL."""
    try:
        if card["period"]["label"] != label:
            raise FeedError(f"asked for {label}, the feed gave {card['period']['label']}")
        rows = []
        for service in card["services"]:
            for measure, figure in service["measures"].items():
                if measure not in MEASURE_NAMES:
                    continue
                withheld = bool(figure["suppressed"])
                value = None if withheld else figure["value"]
                if value is not None and not isinstance(value, int | float):
                    raise FeedError(f"{service['key']} {measure} for {label} is not a number")
                rows.append(
                    {
                        "period": label,
                        "service": str(service["key"]),
                        "service_name": str(service["name"]),
                        "measure": measure,
                        "value": value,
                        "suppressed": int(withheld),
                        "reason": str(figure.get("reason") or "") or None,
                    }
                )
        return rows
    except (KeyError, TypeError, AttributeError) as error:
        raise FeedError(f"the feed for {label} is not a scorecard") from error


def pull_area(area, quarters, timeout, progress=None):
    """Every quarter of one area, all fetched before anything is stored: (rows, policy)."""
    rows, policy = [], None
    for quarter in quarters:
        card = fetch(area, quarter.label, timeout)
        rows += figures_of(card, quarter.label)
        policy = card.get("disclosure") if isinstance(card.get("disclosure"), dict) else policy
        if progress:
            progress(area, quarter)
    return rows, policy


def pull(db, member_areas, quarters, timeout, progress=None):
    """Pull every area; each area's quarters replace its stored ones together, or (any failure) none
    of them do and its last good figures stay, marked. Returns {area key: error or None}."""
    results = {}
    for area in member_areas:
        started = _now()
        try:
            rows, policy = pull_area(area, quarters, timeout, progress)
        except FeedError as error:
            results[area["key"]] = str(error)
            _record_failure(db, area["key"], started, str(error))
            continue
        _store(db, area["key"], [q.label for q in quarters], rows, policy, started)
        results[area["key"]] = None
    return results


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _store(db, key, labels, rows, policy, at):
    marks = ", ".join("?" for _ in labels)
    with write_transaction(db):
        db.execute(f"DELETE FROM region_figures WHERE area = ? AND period IN ({marks})", [key, *labels])
        db["region_figures"].insert_all({"area": key, **row} for row in rows)
        db.execute(
            """INSERT INTO region_pulls (area, last_attempt_at, last_success_at, last_error, policy)
               VALUES (?, ?, ?, NULL, ?)
               ON CONFLICT (area) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
                   last_success_at = excluded.last_success_at, last_error = NULL, policy = excluded.policy""",
            [key, at, at, json.dumps(policy) if policy else None],
        )


def _record_failure(db, key, at, error):
    with write_transaction(db):
        db.execute(
            """INSERT INTO region_pulls (area, last_attempt_at, last_error) VALUES (?, ?, ?)
               ON CONFLICT (area) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
                   last_error = excluded.last_error""",
            [key, at, error],
        )


# --- What the region pages show ------------------------------------------------------------------


def statuses(db, member_areas):
    """Each configured area with its last pull: attempted, last succeeded, the error if the last failed."""
    stored = {row["area"]: row for row in db.query("SELECT * FROM region_pulls")}
    result = []
    for area in member_areas:
        row = stored.get(area["key"], {})
        policy = json.loads(row["policy"]) if row.get("policy") else None
        result.append(
            {
                "key": area["key"],
                "name": area["name"],
                "last_attempt_at": row.get("last_attempt_at"),
                "last_success_at": row.get("last_success_at"),
                "error": row.get("last_error"),
                "policy": policy,
            }
        )
    return result


def comparison(db, member_areas, measure):
    """{"quarters": [labels], "services": [{key, name, rows: [{quarter, cells: {area: figure}}]}]}
    for one measure: every stored quarter, every service any area publishes."""
    keys = [area["key"] for area in member_areas]
    if not keys:
        return {"quarters": [], "services": []}
    marks = ", ".join("?" for _ in keys)
    rows = list(
        db.query(
            f"""SELECT area, period, service, service_name, value, suppressed, reason FROM region_figures
                WHERE measure = ? AND area IN ({marks}) ORDER BY period, service""",
            [measure, *keys],
        )
    )
    quarters = sorted({row["period"] for row in rows})
    names = {}
    cells = {}
    for row in rows:
        names.setdefault(row["service"], row["service_name"])
        cells[(row["service"], row["period"], row["area"])] = row
    return {
        "quarters": quarters,
        "services": [
            {
                "key": service,
                "name": name,
                "rows": [
                    {"quarter": q, "cells": {key: cells.get((service, q, key)) for key in keys}}
                    for q in quarters
                ],
            }
            for service, name in names.items()
        ],
    }
