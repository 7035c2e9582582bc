"""Stars, their versions, domains and stages, and editing them. No Flask imports.

Wording is this project's own. A version is frozen once it is published or a review used it;
saving a frozen star makes the next version. Domain keys carry over between versions: that is
how readings are compared across them.
"""

import re

from marshmallow import ValidationError

from .db import write_transaction

DEFAULT_STAGES = [
    ("Needs a lot of help", 1, 2),
    ("Starting out", 3, 4),
    ("Getting there", 5, 6),
    ("Growing in confidence", 7, 8),
    ("Doing well", 9, 10),
]

# (service key, service name, star name, [(domain key, label, description)])
DEFAULT_STARS = [
    (
        "slt",
        "Speech and Language Therapy",
        "Communication star",
        [
            (
                "attention",
                "Attention and listening",
                "How well your child can focus on a person or activity and listen to what is said.",
            ),
            (
                "understanding",
                "Understanding words",
                "How much your child understands of what people say, from single words to instructions.",
            ),
            (
                "talking",
                "Talking",
                "How your child uses words and sentences to tell people what they want, think and feel.",
            ),
            (
                "speech_sounds",
                "Speech sounds",
                "How clearly your child says sounds and words, so that other people understand them.",
            ),
            (
                "social_communication",
                "Social communication",
                "How your child takes turns, shares attention and chats with other people.",
            ),
            (
                "eating_drinking",
                "Eating and drinking",
                "How safely and comfortably your child chews, swallows and drinks.",
            ),
        ],
    ),
    (
        "physio",
        "Physiotherapy",
        "Moving and doing star",
        [
            (
                "getting_about",
                "Getting about",
                "How your child moves from place to place: rolling, crawling, walking or using a chair.",
            ),
            (
                "balance",
                "Balance and coordination",
                "How steady your child is and how well their body parts work together.",
            ),
            ("posture", "Posture", "How your child sits, stands and holds their body during the day."),
            (
                "strength",
                "Strength and stamina",
                "How strong your child is and how long they can keep going before they tire.",
            ),
            (
                "comfort",
                "Comfort and pain",
                "How comfortable your child is in their body, and how well pain is managed.",
            ),
            (
                "play_sport",
                "Joining in play and sport",
                "How much your child can take part in active play, PE and sport with others.",
            ),
        ],
    ),
    (
        "ot",
        "Occupational Therapy",
        "Everyday skills star",
        [
            (
                "self_care",
                "Getting dressed and self-care",
                "How much your child does for themselves when dressing, washing and using the toilet.",
            ),
            (
                "hand_skills",
                "Hand skills and handwriting",
                "How your child uses their hands for fiddly tasks, tools, drawing and writing.",
            ),
            (
                "senses",
                "Senses and regulation",
                "How your child copes with noise, touch, light and busy places, and calms down.",
            ),
            ("play", "Play", "How your child plays, explores toys and enjoys games, alone and with others."),
            (
                "routines",
                "Daily routines",
                "How your child manages the steps of the day, like mealtimes, bedtime and getting ready.",
            ),
            (
                "school_independence",
                "Independence at school",
                "How much your child can do at school without an adult's help.",
            ),
        ],
    ),
    (
        "social",
        "Social Care",
        "Family life star",
        [
            (
                "safety",
                "Staying safe",
                "How safe your child is at home, online and out and about, and who keeps them safe.",
            ),
            (
                "health",
                "Health",
                "How well your child's health needs are met, including sleep, food and appointments.",
            ),
            (
                "family",
                "Family relationships",
                "How your child gets on with the people they live with and the family around them.",
            ),
            (
                "wellbeing",
                "Feelings and wellbeing",
                "How happy and settled your child feels, and how they show and manage feelings.",
            ),
            (
                "community",
                "Friends and community",
                "How your child makes friends and joins in clubs, activities and places nearby.",
            ),
            (
                "living_skills",
                "Everyday living skills",
                "How your child is learning to do things for themselves, like shopping or travelling.",
            ),
        ],
    ),
]

# Child-friendly wording of each default domain, read to the child in the child's view (our own
# words, as the migration that added them wrote them for databases made before).
CHILD_WORDING = {
    "attention": "Listening and looking when people talk to me",
    "understanding": "Understanding what people say to me",
    "talking": "Using words to tell people what I want and think",
    "speech_sounds": "People understanding me when I talk",
    "social_communication": "Playing and chatting with other people",
    "eating_drinking": "Eating and drinking",
    "getting_about": "Moving about and getting where I want to go",
    "balance": "Keeping steady and not falling over",
    "posture": "Sitting and standing comfortably",
    "strength": "Being strong and keeping going",
    "comfort": "How my body feels: comfy or sore",
    "play_sport": "Joining in games, PE and sport",
    "self_care": "Getting dressed, washing and going to the toilet",
    "hand_skills": "Using my hands to draw, write and make things",
    "senses": "Noisy, busy places and calming down",
    "play": "Playing with toys and games",
    "routines": "Mealtimes, bedtime and getting ready",
    "school_independence": "Doing things on my own at school",
    "safety": "Feeling safe at home and when I go out",
    "health": "Sleeping, eating and feeling well",
    "family": "Getting on with my family",
    "wellbeing": "Feeling happy and calm",
    "community": "Friends, clubs and going out",
    "living_skills": "Doing things for myself, like shopping",
}


def create_star(db, key, name, domains, stages=DEFAULT_STAGES, scale=(1, 10), publish=True):
    """Create a star with its first version; returns (star_id, star_version_id)."""
    star_id = db["stars"].insert({"key": key, "name": name}).last_pk
    version_id = add_version(db, star_id, 1, domains, stages, scale, publish)
    return star_id, version_id


def add_version(db, star_id, version, domains, stages, scale, publish):
    version_id = (
        db["star_versions"]
        .insert(
            {
                "star_id": star_id,
                "version": version,
                "scale_min": scale[0],
                "scale_max": scale[1],
                "published_at": _now(db) if publish else None,
            }
        )
        .last_pk
    )
    db["domains"].insert_all(
        {
            "star_version_id": version_id,
            "key": key,
            "label": label,
            "description": description,
            "child_wording": child_wording or None,
            "position": position,
        }
        for position, (key, label, description, child_wording) in enumerate(map(_with_wording, domains), 1)
    )
    db["stages"].insert_all(
        {
            "star_version_id": version_id,
            "position": position,
            "name": stage_name,
            "min_score": low,
            "max_score": high,
        }
        for position, (stage_name, low, high) in enumerate(stages, start=1)
    )
    return version_id


def _with_wording(domain):
    """(key, label, description, child wording): the defaults' own wording when none is given."""
    key, label, description, *rest = domain
    return key, label, description, rest[0] if rest else CHILD_WORDING.get(key)


def _now(db):
    return db.execute("SELECT datetime('now')").fetchone()[0]


def create_default_services(db):
    """The four services of DESIGN.md, each with its default star; returns {key: service_id}."""
    ids = {}
    with write_transaction(db):
        for key, service_name, star_name, domains in DEFAULT_STARS:
            star_id, _ = create_star(db, key, star_name, domains)
            ids[key] = db["services"].insert({"key": key, "name": service_name, "star_id": star_id}).last_pk
    return ids


def current_version_id(db, service_id):
    """The newest published version of the service's star (the one new reviews use)."""
    row = db.execute(
        """SELECT sv.id FROM services s
           JOIN star_versions sv ON sv.star_id = s.star_id AND sv.published_at IS NOT NULL
           WHERE s.id = ? ORDER BY sv.version DESC LIMIT 1""",
        [service_id],
    ).fetchone()
    return row[0] if row else None


# Published versions never change (edits make a new version), so pages read each once per process.
_published_versions = {}


def load_version(db, version_id):
    """A star version as a plain dict: scale, domains in order, stages in order."""
    key = (getattr(db, "identity", None), version_id)
    if key[0] is not None and key in _published_versions:
        return _copy(_published_versions[key])
    version = db.execute(
        """SELECT sv.id, sv.version, sv.scale_min, sv.scale_max, s.name, s.key, sv.published_at
           FROM star_versions sv JOIN stars s ON s.id = sv.star_id WHERE sv.id = ?""",
        [version_id],
    ).fetchone()
    if version is None:
        return None
    domains = list(
        db.query(
            "SELECT id, key, label, description, child_wording FROM domains WHERE star_version_id = ? "
            "ORDER BY position",
            [version_id],
        )
    )
    stages = list(
        db.query(
            "SELECT position, name, min_score, max_score FROM stages WHERE star_version_id = ? "
            "ORDER BY position",
            [version_id],
        )
    )
    loaded = {
        "id": version[0],
        "version": version[1],
        "scale_min": version[2],
        "scale_max": version[3],
        "name": version[4],
        "key": version[5],
        "domains": domains,
        "stages": stages,
    }
    if key[0] is not None and version[6] is not None:
        _published_versions[key] = _copy(loaded)
    return loaded


def _copy(version):
    """A copy callers may change: the version's own fields and its domain and stage rows (plain values
    all; copy.deepcopy gave the same at several times the cost, on every page that shows a star)."""
    return dict(
        version,
        domains=[dict(domain) for domain in version["domains"]],
        stages=[dict(stage) for stage in version["stages"]],
    )


def stage_name(star, score):
    """The name of the stage a score falls in ('' for no score)."""
    for stage in star["stages"]:
        if score is not None and stage["min_score"] <= score <= stage["max_score"]:
            return stage["name"]
    return ""


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
    return list(
        db.query(
            """SELECT s.id, s.key, s.name,
                  (SELECT max(version) FROM star_versions WHERE star_id = s.id) AS latest_version,
                  (SELECT max(version) FROM star_versions
                    WHERE star_id = s.id AND published_at IS NOT NULL) AS published_version,
                  (SELECT group_concat(name, ', ') FROM services
                    WHERE star_id = s.id AND retired_at IS NULL) AS services
           FROM stars s ORDER BY s.name"""
        )
    )


def get_star(db, star_id):
    rows = list(db.query("SELECT * FROM stars WHERE id = ?", [star_id]))
    return rows[0] if rows else None


def versions(db, star_id):
    """The star's versions, newest first, with how many reviews used each."""
    return list(
        db.query(
            """SELECT sv.*, (SELECT count(*) FROM reviews r WHERE r.star_version_id = sv.id) AS reviews
           FROM star_versions sv WHERE sv.star_id = ? ORDER BY sv.version DESC""",
            [star_id],
        )
    )


def latest_version_id(db, star_id):
    row = db.execute(
        "SELECT id FROM star_versions WHERE star_id = ? ORDER BY version DESC LIMIT 1", [star_id]
    ).fetchone()
    return row[0] if row else None


def is_frozen(db, version_id):
    """True once a version is published or any review (draft included) used it."""
    return (
        db.execute(
            """SELECT 1 FROM star_versions WHERE id = ? AND (published_at IS NOT NULL
             OR EXISTS (SELECT 1 FROM reviews WHERE star_version_id = ?))""",
            [version_id, version_id],
        ).fetchone()
        is not None
    )


def _domains_in_order(data):
    """(key, label, description) in the order of the given positions; a row without one keeps its place."""
    ordered = sorted(
        enumerate(data["domains"]),
        key=lambda pair: (pair[0] + 1 if pair[1]["position"] is None else pair[1]["position"], pair[0]),
    )
    return [
        (
            d["key"] or slug(d["label"]),
            d["label"].strip(),
            d["description"].strip(),
            (d.get("child_wording") or "").strip(),
        )
        for _, d in ordered
    ]


def _stages(data):
    bands = stage_bands(data["scale_min"], data["scale_max"])
    return [(name.strip(), low, high) for name, (low, high) in zip(data["stages"], bands, strict=False)]


def save_new_star(db, data):
    """A new star from a loaded StarSchema, its first version an unpublished draft; returns its id."""
    key = data["key"] or slug(data["name"])
    with write_transaction(db):
        if db.execute("SELECT 1 FROM stars WHERE key = ?", [key]).fetchone():
            raise ValidationError({"key": [f"A star already has the key {key!r}: choose another."]})
        star_id, _ = create_star(
            db,
            key,
            data["name"].strip(),
            _domains_in_order(data),
            stages=_stages(data),
            scale=(data["scale_min"], data["scale_max"]),
            publish=False,
        )
        if data.get("meaningful_change") is not None:
            db["stars"].update(star_id, {"meaningful_change": data["meaningful_change"]})
        return star_id


def save_star(db, star_id, data):
    """Save edits: in place on an unused draft, otherwise as the next version (a draft).

    Returns (version_id, made_new_version).
    """
    with write_transaction(db):
        changes = {"name": data["name"].strip()}
        if data.get("meaningful_change") is not None:
            changes["meaningful_change"] = data["meaningful_change"]
        db["stars"].update(star_id, changes)
        current = latest_version_id(db, star_id)
        domains, stages = _domains_in_order(data), _stages(data)
        scale = (data["scale_min"], data["scale_max"])
        if current is not None and not is_frozen(db, current):
            db.execute("DELETE FROM domains WHERE star_version_id = ?", [current])
            db.execute("DELETE FROM stages WHERE star_version_id = ?", [current])
            db.execute("DELETE FROM star_versions WHERE id = ?", [current])
            number = db.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM star_versions WHERE star_id = ?", [star_id]
            ).fetchone()[0]
            return add_version(db, star_id, number, domains, stages, scale, publish=False), False
        number = db.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM star_versions WHERE star_id = ?", [star_id]
        ).fetchone()[0]
        return add_version(db, star_id, number, domains, stages, scale, publish=False), True


def publish(db, star_id, service_id=None):
    """Publish the star's newest version; with `service_id`, that service's new reviews use this star.

    Returns the published version's number.
    """
    with write_transaction(db):
        version_id = latest_version_id(db, star_id)
        if version_id is None:
            raise ValidationError({"star": ["This star has no version to publish."]})
        db.execute(
            "UPDATE star_versions SET published_at = datetime('now') WHERE id = ? AND published_at IS NULL",
            [version_id],
        )
        if service_id is not None:
            service = db.execute("SELECT retired_at FROM services WHERE id = ?", [service_id]).fetchone()
            if service is None or service[0]:
                raise ValidationError({"service_id": ["Choose a service that is not retired."]})
            db["services"].update(service_id, {"star_id": star_id})
        return db.execute("SELECT version FROM star_versions WHERE id = ?", [version_id]).fetchone()[0]


def form_values(star_version):
    """A loaded version as the editor's field values (domain keys kept, so they carry over)."""
    return {
        "name": star_version["name"],
        "key": star_version["key"],
        "scale_min": star_version["scale_min"],
        "scale_max": star_version["scale_max"],
        "stages": [stage["name"] for stage in star_version["stages"]],
        "domains": [
            {
                "key": d["key"],
                "label": d["label"],
                "description": d["description"],
                "child_wording": d["child_wording"] or "",
                "position": position,
            }
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
