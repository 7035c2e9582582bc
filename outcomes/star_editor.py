"""Editing stars: drafts, new versions and publishing. No Flask imports.

A version is frozen once it is published or a review used it; saving a frozen star
makes the next version as a draft, so reviews keep the version they were made with.
Domain keys carry over between versions: that is how readings are compared across them.
"""
import re

from marshmallow import ValidationError

from . import stars
from .db import write_transaction


def slug(text):
    """A domain or star key from its label: 'Getting about!' -> 'getting_about'."""
    key = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:30].rstrip("_")
    if not key or not key[0].isalpha():
        key = ("d_" + key)[:30]
    return key if len(key) >= 2 else key + "_x"


def stage_bands(scale_min, scale_max):
    """Split the scale into five contiguous bands, as even as whole numbers allow (1-10 -> 1-2 ... 9-10)."""
    points = scale_max - scale_min + 1
    edges = [scale_min + (points * i) // 5 for i in range(6)]
    return [(edges[i], edges[i + 1] - 1) for i in range(5)]


def list_stars(db):
    """Every star with its newest version, whether that is a draft, and the services using it."""
    return list(db.query(
        """SELECT s.id, s.key, s.name,
                  (SELECT max(version) FROM star_versions WHERE star_id = s.id) AS latest_version,
                  (SELECT max(version) FROM star_versions
                    WHERE star_id = s.id AND published_at IS NOT NULL) AS published_version,
                  (SELECT group_concat(name, ', ') FROM services
                    WHERE star_id = s.id AND retired_at IS NULL) AS services
           FROM stars s ORDER BY s.name"""
    ))


def get_star(db, star_id):
    rows = list(db.query("SELECT * FROM stars WHERE id = ?", [star_id]))
    return rows[0] if rows else None


def versions(db, star_id):
    """The star's versions, newest first, with how many reviews used each."""
    return list(db.query(
        """SELECT sv.*, (SELECT count(*) FROM reviews r WHERE r.star_version_id = sv.id) AS reviews
           FROM star_versions sv WHERE sv.star_id = ? ORDER BY sv.version DESC""",
        [star_id],
    ))


def latest_version_id(db, star_id):
    row = db.execute(
        "SELECT id FROM star_versions WHERE star_id = ? ORDER BY version DESC LIMIT 1", [star_id]
    ).fetchone()
    return row[0] if row else None


def is_frozen(db, version_id):
    """True once a version is published or any review (draft included) used it."""
    return db.execute(
        """SELECT 1 FROM star_versions WHERE id = ? AND (published_at IS NOT NULL
             OR EXISTS (SELECT 1 FROM reviews WHERE star_version_id = ?))""",
        [version_id, version_id],
    ).fetchone() is not None


def _domains_in_order(data):
    """(key, label, description) in the order of the given positions; a row without one keeps its place."""
    ordered = sorted(
        enumerate(data["domains"]),
        key=lambda pair: (pair[0] + 1 if pair[1]["position"] is None else pair[1]["position"], pair[0]),
    )
    return [(d["key"] or slug(d["label"]), d["label"].strip(), d["description"].strip()) for _, d in ordered]


def _stages(data):
    bands = stage_bands(data["scale_min"], data["scale_max"])
    return [(name.strip(), low, high) for name, (low, high) in zip(data["stages"], bands)]


def create_star(db, data):
    """A new star from a loaded StarSchema, its first version an unpublished draft; returns its id."""
    key = data["key"] or slug(data["name"])
    with write_transaction(db):
        if db.execute("SELECT 1 FROM stars WHERE key = ?", [key]).fetchone():
            raise ValidationError({"key": [f"A star already has the key {key!r}: choose another."]})
        star_id, _ = stars.create_star(db, key, data["name"].strip(), _domains_in_order(data),
                                       stages=_stages(data), scale=(data["scale_min"], data["scale_max"]),
                                       publish=False)
        return star_id


def save_star(db, star_id, data):
    """Save edits: in place on an unused draft, otherwise as the next version (a draft).

    Returns (version_id, made_new_version).
    """
    with write_transaction(db):
        db["stars"].update(star_id, {"name": data["name"].strip()})
        current = latest_version_id(db, star_id)
        domains, stages = _domains_in_order(data), _stages(data)
        scale = (data["scale_min"], data["scale_max"])
        if current is not None and not is_frozen(db, current):
            db.execute("DELETE FROM domains WHERE star_version_id = ?", [current])
            db.execute("DELETE FROM stages WHERE star_version_id = ?", [current])
            db.execute("DELETE FROM star_versions WHERE id = ?", [current])
            number = db.execute("SELECT coalesce(max(version), 0) + 1 FROM star_versions WHERE star_id = ?",
                                [star_id]).fetchone()[0]
            return stars.add_version(db, star_id, number, domains, stages, scale, publish=False), False
        number = db.execute("SELECT coalesce(max(version), 0) + 1 FROM star_versions WHERE star_id = ?",
                            [star_id]).fetchone()[0]
        return stars.add_version(db, star_id, number, domains, stages, scale, publish=False), True


def publish(db, star_id, service_id=None):
    """Publish the star's newest version; with `service_id`, that service's new reviews use this star.

    Returns the published version's number.
    """
    with write_transaction(db):
        version_id = latest_version_id(db, star_id)
        if version_id is None:
            raise ValidationError({"star": ["This star has no version to publish."]})
        db.execute("UPDATE star_versions SET published_at = datetime('now') WHERE id = ? AND published_at IS NULL",
                   [version_id])
        if service_id is not None:
            service = db.execute("SELECT retired_at FROM services WHERE id = ?", [service_id]).fetchone()
            if service is None or service[0]:
                raise ValidationError({"service_id": ["Choose a service that is not retired."]})
            db["services"].update(service_id, {"star_id": star_id})
        return db.execute("SELECT version FROM star_versions WHERE id = ?", [version_id]).fetchone()[0]


def form_values(star_version):
    """A loaded version as the editor's field values (domain keys kept, so they carry over)."""
    return {
        "name": star_version["name"], "key": star_version["key"],
        "scale_min": star_version["scale_min"], "scale_max": star_version["scale_max"],
        "stages": [stage["name"] for stage in star_version["stages"]],
        "domains": [
            {"key": d["key"], "label": d["label"], "description": d["description"], "position": position}
            for position, d in enumerate(star_version["domains"], start=1)
        ],
    }


def example_readings(star_version):
    """Made-up first and latest readings for the family preview's radar (clearly labelled as examples)."""
    low, high = star_version["scale_min"], star_version["scale_max"]
    span = high - low
    first = [low + (span * (2 + i % 3)) // 10 for i, _ in enumerate(star_version["domains"])]
    latest = [min(high, score + max(1, span // 4) + i % 2) for i, score in enumerate(first)]
    return first, latest
