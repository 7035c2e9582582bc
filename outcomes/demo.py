"""Generated demo data: four services, ~40 children over 18 months. No real person's data."""

import random
import uuid
from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from . import gas, nhs, stars, users
from . import reviews as reviews_module
from .db import write_transaction
from .reviews import save_review
from .rules import counted
from .targets import open_targets, suggested_outcome

GIVEN = [
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Finn",
    "Grace",
    "Hari",
    "Isla",
    "Jay",
    "Kofi",
    "Lena",
    "Milo",
    "Nia",
    "Oscar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wren",
    "Xander",
    "Yusuf",
    "Zoe",
]
FAMILY = [
    "Adeyemi",
    "Brook",
    "Carter",
    "Dhillon",
    "Evans",
    "Fraser",
    "Gill",
    "Hughes",
    "Iqbal",
    "Jones",
    "Kaur",
    "Lewis",
    "Mensah",
    "Nowak",
    "Okafor",
    "Patel",
    "Quayle",
    "Reid",
    "Singh",
    "Taylor",
    "Usman",
    "Vaughan",
    "Walsh",
    "Young",
]
PRACTITIONERS = {
    "slt": "slt@demo.test",
    "physio": "physio@demo.test",
    "ot": "ot@demo.test",
    "social": "social@demo.test",
}
# People's names, as a real team's would be: the header adds the role and service in plain words.
PRACTITIONER_NAMES = {"slt": "Priya Shah", "physio": "Tom Okafor", "ot": "Grace Lin", "social": "Dan Murphy"}
ACCOUNTS = list(PRACTITIONERS.values()) + ["family@demo.test", "manager@demo.test", "admin@demo.test"]
CHILDREN = 40
MONTHS = 18


def demo_nhs_number(rng):
    """A valid number in the 999 range the NHS keeps for testing, never a real person's."""
    while True:
        first_nine = "999" + "".join(rng.choice("0123456789") for _ in range(6))
        digit = nhs.check_digit(first_nine)
        if digit is not None:
            return first_nine + str(digit)


def seed(db, password, today=None, seed_value=2026):
    """Fill an empty database with demo services, accounts, children and reviews."""
    rng = random.Random(seed_value)
    today = today or date.today()
    service_ids = stars.create_default_services(db)
    # Every demo account shares one password, so hash it once.
    password_hash = generate_password_hash(password)
    staff = _create_accounts(db, password_hash, service_ids)
    child_ids = []
    with write_transaction(db):
        for number in range(CHILDREN):
            child_ids.append(
                db["children"]
                .insert(
                    {
                        "given_name": GIVEN[number % len(GIVEN)],
                        "family_name": FAMILY[(number * 7) % len(FAMILY)],
                        "date_of_birth": (date(2012, 1, 1) + timedelta(days=rng.randrange(3650))).isoformat(),
                        "nhs_number": demo_nhs_number(rng),
                        "local_id": f"DEMO{number + 1:04d}",
                    }
                )
                .last_pk
            )
    services = list(service_ids)
    for index, child_id in enumerate(child_ids):
        # The first child is seen by three services; the rest by one each.
        seen_by = services[:3] if index == 0 else [services[index % len(services)]]
        for key in seen_by:
            start = today - timedelta(days=rng.randrange(MONTHS * 30 - 60, MONTHS * 30))
            db["caseloads"].insert(
                {
                    "child_id": child_id,
                    "service_id": service_ids[key],
                    "practitioner_id": staff[key],
                    "started_on": start.isoformat(),
                }
            )
            _review_history(db, rng, staff[key], child_id, key, service_ids[key], start, today)
    family_id = users.create_user(
        db, "family@demo.test", "Sam Adeyemi (parent)", "family", password_hash=password_hash
    )
    for child_id in child_ids[:2]:
        db["family_links"].insert({"user_id": family_id, "child_id": child_id})
    seed_history(db, child_ids, service_ids, staff, today)
    _feedback_text(db)
    return {"children": len(child_ids), "reviews": db["reviews"].count}


GOOD = ["Listened to us", "Ideas we can use at home", "Our child enjoyed the sessions", "Clear targets"]
BETTER = ["Shorter waits between visits", "More time at each visit", "Letters in plain English", ""]


def _feedback_text(db):
    """What families wrote with about a third of their answers (a generator of its own)."""
    rng = random.Random(77)
    rows = db.execute("SELECT id FROM family_views ORDER BY id").fetchall()
    with write_transaction(db):
        db.conn.executemany(
            "UPDATE family_views SET what_was_good = ?, could_be_better = ? WHERE id = ?",
            [(rng.choice(GOOD), rng.choice(BETTER), view_id) for (view_id,) in rows if rng.random() < 0.35],
        )


def _create_accounts(db, password_hash, service_ids):
    staff = {}
    for key, email in PRACTITIONERS.items():
        staff[key] = users.create_user(
            db, email, PRACTITIONER_NAMES[key], "practitioner", password_hash=password_hash
        )
        db["memberships"].insert(
            {"user_id": staff[key], "service_id": service_ids[key], "role": "practitioner"}
        )
    manager = users.create_user(
        db, "manager@demo.test", "Morgan Manager", "manager", password_hash=password_hash
    )
    db["memberships"].insert_all(
        {"user_id": manager, "service_id": service_id, "role": "manager"}
        for service_id in service_ids.values()
    )
    users.create_user(db, "admin@demo.test", "Ada Admin", "admin", password_hash=password_hash)
    return staff


def _review_history(db, rng, practitioner_id, child_id, key, service_id, start, today):
    """Reviews about every six months (some late), readings drifting upward, targets set and closed."""
    star = stars.load_version(db, stars.current_version_id(db, service_id))
    weights = random.Random(child_id * 31 + service_id)
    level = {domain["key"]: rng.randint(2, 6) for domain in star["domains"]}
    review_date = start
    while review_date <= today:
        readings = {}
        for domain in star["domains"]:
            level[domain["key"]] = max(1, min(10, level[domain["key"]] + rng.choice([-1, 0, 1, 1, 2])))
            readings[domain["key"]] = {"score": level[domain["key"]], "not_assessed_reason": None}
        if rng.random() < 0.1:
            readings[star["domains"][-1]["key"]] = {
                "score": None,
                "not_assessed_reason": "Not seen at this visit",
            }
        closing = []
        for target in open_targets(db, child_id, service_id):
            score = readings[target["domain_key"]]["score"]
            outcome = suggested_outcome(target["start_score"], target["target_score"], score)
            if outcome is None or rng.random() < 0.05:
                closing.append({"target_id": target["id"], "outcome": "withdrawn", "reason": "Needs changed"})
            else:
                # The level the form would suggest (met, partly or not met read off it).
                attained = gas.suggested_level(target["start_score"], target["target_score"], score)
                closing.append(
                    {
                        "target_id": target["id"],
                        "outcome": gas.outcome_of(attained),
                        "gas_level": attained,
                        "reason": None,
                    }
                )
        new_targets = [
            {
                "domain": domain["key"],
                "description": f"Move on in {domain['label'].lower()} "
                "with agreed support at home and school.",
                "target_score": min(
                    10, (readings[domain["key"]]["score"] or level[domain["key"]]) + rng.choice([1, 2, 2, 3])
                ),
                "due_date": None,
                # Weights from a generator of their own, so the rest of the demo stays as it was.
                "importance": weights.choice([None, 1, 2, 3]),
                "difficulty": weights.choice([None, 1, 2, 3]),
            }
            for domain in rng.sample(star["domains"], 2)
        ]
        save_review(
            db,
            practitioner_id,
            {
                "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
                "child_id": child_id,
                "service": key,
                "date": review_date,
                "readings": readings,
                "targets": new_targets,
                "target_outcomes": closing,
                "notes": "Seen with parent; strategies agreed.",
                "internal_notes": "",
                "child_view": _child_view(star, child_id, review_date),
                "submit": True,
            },
        )
        review_date += timedelta(days=rng.choice([150, 170, 182, 182, 200, 230]))


def _child_view(star, child_id, review_date):
    """The child's own view at about two reviews in three: faces drawn from a generator of their own,
    so that adding them left every other generated figure as it was."""
    rng = random.Random(f"{child_id}:{review_date.isoformat()}")
    if rng.random() < 0.35:
        return None
    faces = rng.choice([5, 5, 3])
    return {
        "faces": faces,
        "readings": {d["key"]: rng.randint(max(1, faces - 3), faces) for d in star["domains"]},
    }


# --- Scorecard history: more reviews, inserted in bulk -------------------------------------------

HISTORY_DAYS = 500
INTERVALS = [120, 150, 170, 182, 182, 182, 200, 230]


def seed_history(db, child_ids, service_ids, staff, today, seed_value=404):
    """A second, finished episode with another service for the demo children after the first two,
    and their families' ratings, so that the managers' scorecard has figures above the suppression
    threshold.

    The episodes are discharged, so practitioners' caseloads stay as they were.
    """
    keys = list(service_ids)
    rng = random.Random(seed_value)
    plan, ratings = [], []
    # The first two children (the signed-in demo family's) keep their records as they were.
    for index, child_id in enumerate(child_ids[2:], start=2):
        family_id = users.create_user(
            db, f"family-of-demo{index + 1:04d}@demo.test", f"Family of DEMO{index + 1:04d}", "family"
        )
        db["family_links"].insert({"user_id": family_id, "child_id": child_id})
        plan.append((child_id, family_id, [keys[(index + 1) % len(keys)]]))
        ratings.extend(_ratings(db, rng, child_id, family_id, today))
    reviews_module.bulk_insert(db, family_views=ratings)
    return bulk_history(
        db,
        rng,
        plan,
        staff,
        today - timedelta(days=HISTORY_DAYS),
        today,
        targets_per_review=2,
        rating_share=0.8,
        discharge=True,
    )


def _ratings(db, rng, child_id, family_id, today):
    """The family's satisfaction ratings of most of the child's submitted reviews, given soon after."""
    rows = []
    for review_id, review_date in db.execute(
        f"SELECT r.id, r.date FROM reviews r WHERE r.child_id = ? AND {counted()} ORDER BY r.id",
        [child_id],
    ).fetchall():
        if rng.random() < 0.8:
            given = min(today, date.fromisoformat(review_date) + timedelta(days=rng.randrange(0, 21)))
            rows.append(
                (review_id, family_id, rng.choice([3, 4, 4, 5, 5]), "", f"{given.isoformat()} 17:30:00")
            )
    return rows


def bulk_history(
    db,
    rng,
    plan,
    staff,
    first_day,
    last_day,
    targets_per_review=1,
    rating_share=0.4,
    amend_share=0.02,
    draft_share=0.02,
    discharge=False,
    batch=2000,
):
    """Reviews about every six months from `first_day` to `last_day`, through reviews.bulk_insert.

    `plan` lists (child_id, family_user_id, [service keys]); `staff` maps a service key to the
    practitioner who records its reviews. Each child-service pair gets a caseload episode (ended
    at its last review when `discharge`), readings drifting upward, targets closed at the next
    review, some amended reviews and drafts, and the family's ratings. Deterministic for a given
    rng. Returns the sizes inserted.
    """
    services = {row["key"]: row for row in db.query("SELECT id, key FROM services WHERE retired_at IS NULL")}
    star_of = {
        key: stars.load_version(db, stars.current_version_id(db, row["id"])) for key, row in services.items()
    }
    ids = reviews_module.next_ids(db)
    sizes = {"reviews": 0, "readings": 0, "targets": 0, "target_outcomes": 0, "family_views": 0}
    plan = list(plan)
    for offset in range(0, len(plan), batch):
        rows = {name: [] for name in sizes}
        caseloads = []
        for child_id, family_id, keys in plan[offset : offset + batch]:
            for key in keys:
                last = _history_of_child(
                    rng,
                    rows,
                    ids,
                    child_id,
                    family_id,
                    services[key],
                    star_of[key],
                    staff[key],
                    first_day,
                    last_day,
                    (targets_per_review, rating_share, amend_share, draft_share),
                )
                caseloads.append(
                    {
                        "child_id": child_id,
                        "service_id": services[key]["id"],
                        "practitioner_id": staff[key],
                        "started_on": first_day.isoformat(),
                        "discharged_on": last if discharge else None,
                    }
                )
        with write_transaction(db):
            db["caseloads"].insert_all(caseloads, batch_size=1000)
            reviews_module.bulk_insert(db, **rows)
        for name, items in rows.items():
            sizes[name] += len(items)
    return sizes


def _history_of_child(
    rng, rows, ids, child_id, family_id, service, star, practitioner_id, first_day, last_day, shares
):
    """One child's reviews by one service; returns the last review's date."""
    targets_per_review, rating_share, amend_share, draft_share = shares
    domains = star["domains"]
    level = {domain["key"]: rng.randint(2, 6) for domain in domains}
    open_targets = []
    review_date = first_day + timedelta(days=rng.randrange(0, 180))
    last = None
    while review_date <= last_day:
        scores = {}
        for domain in domains:
            level[domain["key"]] = max(1, min(10, level[domain["key"]] + rng.choice([-1, 0, 1, 1, 2])))
            scores[domain["key"]] = level[domain["key"]]
        if rng.random() < 0.1:
            scores[domains[-1]["key"]] = None
        review_id = ids["reviews"]
        ids["reviews"] += 1
        base = {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "child_id": child_id,
            "service_id": service["id"],
            "star_version_id": star["id"],
            "practitioner_id": practitioner_id,
            "date": review_date.isoformat(),
            "notes": "Seen with parent; strategies agreed.",
        }
        if rng.random() < amend_share:
            # An amended review: version 1 kept but no longer counted, version 2 counts.
            rows["reviews"].append(dict(base, id=review_id, is_latest=0))
            _history_readings(
                rows, review_id, domains, {k: (v if v is None else max(1, v - 1)) for k, v in scores.items()}
            )
            series_id, review_id = review_id, ids["reviews"]
            ids["reviews"] += 1
            rows["reviews"].append(
                dict(
                    base,
                    id=review_id,
                    uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    series_id=series_id,
                    version=2,
                    amendment_reason="Reading corrected",
                )
            )
        else:
            rows["reviews"].append(dict(base, id=review_id))
        _history_readings(rows, review_id, domains, scores)
        for target in open_targets:
            outcome = suggested_outcome(
                target["start_score"], target["target_score"], scores[target["domain_key"]]
            )
            withdrawn = outcome is None or rng.random() < 0.05
            rows["target_outcomes"].append(
                (
                    target["id"],
                    review_id,
                    "withdrawn" if withdrawn else outcome,
                    "Needs changed" if withdrawn else None,
                    scores[target["domain_key"]],
                )
            )
        open_targets = []
        for domain in rng.sample(domains, targets_per_review):
            start = scores[domain["key"]]
            open_targets.append(
                {
                    "id": ids["targets"],
                    "child_id": child_id,
                    "service_id": service["id"],
                    "domain_key": domain["key"],
                    "set_in_review_id": review_id,
                    "description": f"Move on in {domain['label'].lower()} with agreed support.",
                    "start_score": start,
                    "target_score": min(10, (start or 5) + rng.choice([1, 2, 2, 3])),
                    "due_date": (review_date + timedelta(days=182)).isoformat(),
                }
            )
            ids["targets"] += 1
        rows["targets"].extend(open_targets)
        if rng.random() < rating_share:
            given = min(last_day, review_date + timedelta(days=rng.randrange(0, 21)))
            rows["family_views"].append(
                (
                    review_id,
                    family_id,
                    rng.choice([3, 4, 4, 5, 5]),
                    "",
                    f"{given.isoformat()} 18:{rng.randrange(60):02d}:00",
                )
            )
        last = review_date.isoformat()
        review_date += timedelta(days=rng.choice(INTERVALS))
    if last and rng.random() < draft_share:
        # A draft never counts.
        draft_id = ids["reviews"]
        ids["reviews"] += 1
        rows["reviews"].append(
            {
                "id": draft_id,
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "child_id": child_id,
                "service_id": service["id"],
                "star_version_id": star["id"],
                "practitioner_id": practitioner_id,
                "date": last,
                "status": "draft",
            }
        )
        _history_readings(rows, draft_id, domains, {domain["key"]: 10 for domain in domains})
    return last


def _history_readings(rows, review_id, domains, scores):
    for domain in domains:
        score = scores[domain["key"]]
        rows["readings"].append(
            (review_id, domain["id"], score, None if score is not None else "Not seen at this visit")
        )
