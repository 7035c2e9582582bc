"""Generated demo data: four services, ~40 children over 18 months. No real person's data."""
import random
import uuid
from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from . import nhs, stars, users
from .reviews import save_review
from .targets import open_targets, suggested_outcome

GIVEN = ["Amira", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hari", "Isla", "Jay", "Kofi",
         "Lena", "Milo", "Nia", "Oscar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Umar",
         "Vera", "Wren", "Xander", "Yusuf", "Zoe"]
FAMILY = ["Adeyemi", "Brook", "Carter", "Dhillon", "Evans", "Fraser", "Gill", "Hughes", "Iqbal",
          "Jones", "Kaur", "Lewis", "Mensah", "Nowak", "Okafor", "Patel", "Quayle", "Reid",
          "Singh", "Taylor", "Usman", "Vaughan", "Walsh", "Young"]
PRACTITIONERS = {"slt": "slt@demo.test", "physio": "physio@demo.test",
                 "ot": "ot@demo.test", "social": "social@demo.test"}
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
    with db.atomic():
        for number in range(CHILDREN):
            child_ids.append(db["children"].insert({
                "given_name": GIVEN[number % len(GIVEN)],
                "family_name": FAMILY[(number * 7) % len(FAMILY)],
                "date_of_birth": (date(2012, 1, 1) + timedelta(days=rng.randrange(3650))).isoformat(),
                "nhs_number": demo_nhs_number(rng),
                "local_id": f"DEMO{number + 1:04d}",
            }).last_pk)
    services = list(service_ids)
    for index, child_id in enumerate(child_ids):
        # The first child is seen by three services; the rest by one each.
        seen_by = services[:3] if index == 0 else [services[index % len(services)]]
        for key in seen_by:
            start = today - timedelta(days=rng.randrange(MONTHS * 30 - 60, MONTHS * 30))
            db["caseloads"].insert({"child_id": child_id, "service_id": service_ids[key],
                                    "practitioner_id": staff[key], "started_on": start.isoformat()})
            _review_history(db, rng, staff[key], child_id, key, service_ids[key], start, today)
    family_id = users.create_user(db, "family@demo.test", "Sam Adeyemi (parent)", "family",
                                  password_hash=password_hash)
    for child_id in child_ids[:2]:
        db["family_links"].insert({"user_id": family_id, "child_id": child_id})
    return {"children": len(child_ids), "reviews": db["reviews"].count}


def _create_accounts(db, password_hash, service_ids):
    staff = {}
    for key, email in PRACTITIONERS.items():
        staff[key] = users.create_user(db, email, f"{key.upper()} practitioner", "practitioner",
                                       password_hash=password_hash)
        db["memberships"].insert({"user_id": staff[key], "service_id": service_ids[key], "role": "practitioner"})
    manager = users.create_user(db, "manager@demo.test", "Morgan Manager", "manager", password_hash=password_hash)
    db["memberships"].insert_all(
        {"user_id": manager, "service_id": service_id, "role": "manager"} for service_id in service_ids.values()
    )
    users.create_user(db, "admin@demo.test", "Ada Admin", "admin", password_hash=password_hash)
    return staff


def _review_history(db, rng, practitioner_id, child_id, key, service_id, start, today):
    """Reviews about every six months (some late), readings drifting upward, targets set and closed."""
    star = stars.load_version(db, stars.current_version_id(db, service_id))
    level = {domain["key"]: rng.randint(2, 6) for domain in star["domains"]}
    review_date = start
    while review_date <= today:
        readings = {}
        for domain in star["domains"]:
            level[domain["key"]] = max(1, min(10, level[domain["key"]] + rng.choice([-1, 0, 1, 1, 2])))
            readings[domain["key"]] = {"score": level[domain["key"]], "not_assessed_reason": None}
        if rng.random() < 0.1:
            readings[star["domains"][-1]["key"]] = {"score": None, "not_assessed_reason": "Not seen at this visit"}
        closing = []
        for target in open_targets(db, child_id, service_id):
            score = readings[target["domain_key"]]["score"]
            outcome = suggested_outcome(target["start_score"], target["target_score"], score)
            if outcome is None or rng.random() < 0.05:
                closing.append({"target_id": target["id"], "outcome": "withdrawn", "reason": "Needs changed"})
            else:
                closing.append({"target_id": target["id"], "outcome": outcome, "reason": None})
        new_targets = [
            {"domain": domain["key"], "description": f"Move on in {domain['label'].lower()} with agreed support at home and school.",
             "target_score": min(10, (readings[domain["key"]]["score"] or 5) + rng.choice([1, 2, 2, 3])),
             "due_date": None}
            for domain in rng.sample(star["domains"], 2)
        ]
        save_review(db, practitioner_id, {
            "uuid": uuid.UUID(int=rng.getrandbits(128), version=4), "child_id": child_id, "service": key,
            "date": review_date, "readings": readings, "targets": new_targets,
            "target_outcomes": closing, "notes": "Seen with parent; strategies agreed.",
            "internal_notes": "", "submit": True,
        })
        review_date += timedelta(days=rng.choice([150, 170, 182, 182, 200, 230]))
