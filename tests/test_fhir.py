"""One child as a FHIR R4 Bundle: validated with fhir.resources (its R4B models, R4-compatible for
these resources), each target outcome mapped to a Goal, staff-only, least privilege, audited."""

import importlib

import pytest
from conftest import Auth
from scorecard_data import save

URL = "/api/v1/children/{}/fhir"
NHS_NUMBER = "9434765919"
# The models check types and shapes, not codes: R4's required value sets are checked here.
GOAL_LIFECYCLE = {
    "proposed",
    "planned",
    "accepted",
    "active",
    "on-hold",
    "completed",
    "cancelled",
    "entered-in-error",
    "rejected",
}
GOAL_ACHIEVEMENT = {
    "in-progress",
    "improving",
    "worsening",
    "no-change",
    "achieved",
    "sustaining",
    "not-achieved",
    "no-progress",
    "not-attainable",
}
RESPONSE_STATUS = {"in-progress", "completed", "amended", "entered-in-error", "stopped"}


def validated(resource):
    """The resource parsed by its own fhir.resources R4B model: raises on anything FHIR refuses."""
    name = resource["resourceType"]
    module = importlib.import_module(f"fhir.resources.R4B.{name.lower()}")
    return getattr(module, name).model_validate(resource)


@pytest.fixture
def history(db, world):
    """Amy (slt and physio caseloads): two slt reviews, four targets closed one of each way, one
    left open, and a draft that never counts."""
    db["children"].update(world.amy, {"nhs_number": NHS_NUMBER, "local_id": "A-17"})
    first = save(
        db,
        world.slt,
        world.amy,
        "2025-09-01",
        3,
        targets=[
            ("talking", 5),
            ("attention", 6),
            ("understanding", 4),
            ("speech_sounds", 6),
            ("eating_drinking", 5),
        ],
    )
    ids = {t["domain"]: t["id"] for t in first["targets"]}
    second = save(
        db,
        world.slt,
        world.amy,
        "2026-03-02",
        5,
        outcomes=[
            (ids["talking"], "met"),
            (ids["attention"], "not_met"),
            (ids["understanding"], "partly_met"),
            (ids["speech_sounds"], "withdrawn"),
        ],
        not_assessed=["social_communication"],
    )
    save(db, world.slt, world.amy, "2026-04-02", 9, submit=False)
    return {"first": first, "second": second, "targets": ids}


def fetch(client, email, child_id):
    Auth(client).login(email)
    return client.get(URL.format(child_id))


def resources(body, kind):
    return [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_is_valid_fhir_and_maps_every_part_of_the_record(client, world, history):
    response = fetch(client, "slt@test.example", world.amy)
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    body = response.get_json()
    bundle = validated(body)
    assert bundle.type == "collection"
    for entry in body["entry"]:
        validated(entry["resource"])
        assert entry["fullUrl"].endswith(f"/{entry['resource']['resourceType']}/{entry['resource']['id']}")

    (patient,) = resources(body, "Patient")
    assert {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS_NUMBER} in patient["identifier"]
    assert patient["name"] == [{"family": "Able", "given": ["Amy"]}] and patient["birthDate"] == "2016-05-01"

    (star,) = resources(body, "Questionnaire")
    answers = resources(body, "QuestionnaireResponse")
    # The two submitted reviews, not the draft, each answering the star version's Questionnaire.
    assert [r["authored"] for r in answers] == ["2025-09-01", "2026-03-02"]
    assert {r["questionnaire"] for r in answers} == {f"Questionnaire/{star['id']}"}
    item_ids = {item["linkId"] for item in star["item"]}
    for response_ in answers:
        assert {item["linkId"] for item in response_["item"]} <= item_ids
    assert [i["answer"] for i in answers[0]["item"] if i["linkId"] == "talking"] == [[{"valueInteger": 3}]]
    # A domain not assessed has no answer at all, rather than a made-up score.
    assert "social_communication" not in {i["linkId"] for i in answers[1]["item"]}

    assert {r["status"] for r in answers} <= RESPONSE_STATUS
    goals = {g["id"]: g for g in resources(body, "Goal")}
    assert {g["lifecycleStatus"] for g in goals.values()} <= GOAL_LIFECYCLE
    assert {c["code"] for g in goals.values() for c in g.get("achievementStatus", {}).get("coding", [])} <= (
        GOAL_ACHIEVEMENT
    )
    by_domain = {domain: goals[f"target-{target_id}"] for domain, target_id in history["targets"].items()}
    status = {
        d: (g["lifecycleStatus"], g.get("achievementStatus", {}).get("coding", [{}])[0].get("code"))
        for d, g in by_domain.items()
    }
    assert status == {
        "talking": ("completed", "achieved"),
        "attention": ("completed", "not-achieved"),
        "understanding": ("completed", "improving"),
        "speech_sounds": ("cancelled", None),
        "eating_drinking": ("active", "in-progress"),
    }
    (partly,) = by_domain["understanding"]["extension"]
    assert (
        partly["url"].endswith("/StructureDefinition/target-outcome")
        and partly["valueString"] == "partly met"
    )
    assert by_domain["speech_sounds"]["statusReason"] == "Family moved school"
    assert by_domain["talking"]["target"][0]["detailInteger"] == 5


def test_each_read_is_audited_as_a_staff_read(client, db, world, history):
    before = db["audit_log"].count
    assert fetch(client, "admin@test.example", world.amy).status_code == 200
    rows = list(db.query("SELECT user_id, action, child_id FROM audit_log WHERE id > ?", [before]))
    assert {"user_id": world.admin, "action": "export child FHIR", "child_id": world.amy} in rows


def test_a_practitioner_gets_only_her_own_services_records(client, world, history):
    # Amy is on physio's caseload too: physio sees the child, but none of speech therapy's record.
    body = fetch(client, "physio@test.example", world.amy).get_json()
    validated(body)
    kinds = [e["resource"]["resourceType"] for e in body["entry"]]
    assert kinds == ["Patient"]


@pytest.mark.parametrize("email", ["family@test.example", "manager@test.example", "physio@test.example"])
def test_families_managers_and_staff_without_the_child_get_404(client, db, world, history, email):
    # physio: Bob is on speech therapy's caseload only.
    child = world.bob if email.startswith("physio") else world.amy
    reads = "SELECT count(*) FROM audit_log WHERE action != 'sign in'"
    before = db.execute(reads).fetchone()[0]
    response = fetch(client, email, child)
    assert response.status_code == 404
    assert db.execute(reads).fetchone()[0] == before


def test_signed_out_is_sent_to_sign_in(client, world):
    response = client.get(URL.format(world.amy))
    assert response.status_code in (302, 401)
