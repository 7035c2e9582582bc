"""One child's record as a FHIR R4 Bundle, for the case-management system and subject access.

The child is a Patient (NHS number under https://fhir.nhs.uk/Id/nhs-number), each star version a
Questionnaire, each counted review a QuestionnaireResponse to it, each target a Goal. Only the
services the caller passes (the ones access.visible_services lets the reader see) are included;
the caller audits the read. No Flask imports.
"""

import json
import re

from .rules import counted, oldest_first

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
# Target outcome → (lifecycleStatus, achievementStatus code). "Partly met" has no FHIR code of its
# own: it is sent as "improving" and the extension TARGET_OUTCOME carries the outcome word for word.
GOAL_STATUS = {
    None: ("active", "in-progress"),
    "met": ("completed", "achieved"),
    "not_met": ("completed", "not-achieved"),
    "partly_met": ("completed", "improving"),
    "withdrawn": ("cancelled", None),
}
OUTCOME_WORDS = {"met": "met", "partly_met": "partly met", "not_met": "not met", "withdrawn": "withdrawn"}


# A list of ids as one parameter: IN (SELECT value FROM json_each(?)).
IDS = "(SELECT value FROM json_each(?))"


def _ids(ids):
    return json.dumps(sorted(ids))


def patient(child, base):
    identifiers = []
    if child["nhs_number"]:
        identifiers.append({"system": NHS_NUMBER, "value": child["nhs_number"]})
    if child["local_id"]:
        identifiers.append({"system": f"{base}local-id", "value": child["local_id"]})
    resource = {
        "resourceType": "Patient",
        "id": f"child-{child['id']}",
        "name": [{"family": child["family_name"], "given": [child["given_name"]]}],
        "birthDate": child["date_of_birth"],
    }
    if identifiers:
        resource["identifier"] = identifiers
    return resource


def questionnaire(db, version):
    """A star version as a Questionnaire: one integer item per domain, on the star's scale."""
    domains = db.execute(
        "SELECT key, label FROM domains WHERE star_version_id = ? ORDER BY position", [version["id"]]
    ).fetchall()
    return {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(version),
        # FHIR's computer-friendly name: a capital first, then letters, digits and '_'.
        "name": "Star"
        + "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", version["star_key"]))
        + f"V{version['version']}",
        "title": f"{version['star_name']} (version {version['version']})",
        "version": str(version["version"]),
        "status": "active" if version["published_at"] else "draft",
        "item": [
            {
                "linkId": key,
                "text": f"{label} ({version['scale_min']}–{version['scale_max']})",
                "type": "integer",
            }
            for key, label in domains
        ],
    }


def questionnaire_id(version):
    return f"star-{version['star_key']}-v{version['version']}".replace("_", "-")


def questionnaire_response(db, review, version):
    readings = db.execute(
        """SELECT d.key, d.label, rd.score FROM readings rd JOIN domains d ON d.id = rd.domain_id
           WHERE rd.review_id = ? AND rd.score IS NOT NULL ORDER BY d.position""",
        [review["id"]],
    ).fetchall()
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"review-{review['id']}",
        "questionnaire": f"Questionnaire/{questionnaire_id(version)}",
        # An amended review is the latest version of its series.
        "status": "amended" if review["version"] > 1 else "completed",
        "subject": {"reference": f"Patient/child-{review['child_id']}"},
        "authored": review["date"],
        "author": {"display": review["practitioner"]},
        "item": [
            {"linkId": key, "text": label, "answer": [{"valueInteger": score}]}
            for key, label, score in readings
        ],
    }


def goal(target, base):
    lifecycle, achievement = GOAL_STATUS[target["outcome"]]
    resource = {
        "resourceType": "Goal",
        "id": f"target-{target['id']}",
        "lifecycleStatus": lifecycle,
        "category": [{"text": target["service_name"]}],
        "description": {"text": target["description"]},
        "subject": {"reference": f"Patient/child-{target['child_id']}"},
        "startDate": target["set_on"],
        "target": [
            {
                "measure": {"text": target["domain_label"] or target["domain_key"]},
                "detailInteger": target["target_score"],
                "dueDate": target["due_date"],
            }
        ],
    }
    if achievement:
        resource["achievementStatus"] = {
            "coding": [{"system": GOAL_ACHIEVEMENT, "code": achievement}],
            "text": OUTCOME_WORDS[target["outcome"]] if target["outcome"] else "in progress",
        }
    if target["outcome"]:
        resource["extension"] = [
            {
                "url": f"{base}StructureDefinition/target-outcome",
                "valueString": OUTCOME_WORDS[target["outcome"]],
            }
        ]
        if target["reason"]:  # why a target was withdrawn
            resource["statusReason"] = target["reason"]
    return resource


def _reviews(db, child_id, service_ids):
    return _rows(
        db,
        f"""SELECT r.id, r.child_id, r.date, r.version, r.star_version_id, u.name AS practitioner
            FROM reviews r JOIN users u ON u.id = r.practitioner_id
            WHERE r.child_id = ? AND r.service_id IN {IDS} AND {counted()}
            ORDER BY {oldest_first()}""",
        [child_id, _ids(service_ids)],
    )


def _versions(db, version_ids):
    rows = _rows(
        db,
        f"""SELECT sv.id, sv.version, sv.scale_min, sv.scale_max, sv.published_at,
                   st.key AS star_key, st.name AS star_name
            FROM star_versions sv JOIN stars st ON st.id = sv.star_id
            WHERE sv.id IN {IDS} ORDER BY st.key, sv.version""",
        [_ids(version_ids)],
    )
    return {row["id"]: row for row in rows}


def _targets(db, child_id, service_ids):
    return _rows(
        db,
        f"""SELECT t.id, t.child_id, t.description, t.domain_key, t.target_score, t.due_date,
                   r.date AS set_on, s.name AS service_name, o.outcome, o.reason,
                   (SELECT d.label FROM domains d WHERE d.star_version_id = r.star_version_id
                       AND d.key = t.domain_key) AS domain_label
            FROM targets t JOIN reviews r ON r.id = t.set_in_review_id
            JOIN services s ON s.id = t.service_id
            LEFT JOIN target_outcomes o ON o.target_id = t.id
            WHERE t.child_id = ? AND t.service_id IN {IDS} AND {counted()}
            ORDER BY t.id""",
        [child_id, _ids(service_ids)],
    )


def bundle(db, child_id, service_ids, base):
    """The Bundle (type collection) of one child for the given services; None for no such child.

    `base`: this instance's FHIR base URL (ending in '/'), for fullUrls and the extension's URL.
    """
    found = _rows(db, "SELECT * FROM children WHERE id = ?", [child_id])
    if not found:
        return None
    reviews = _reviews(db, child_id, service_ids)
    versions = _versions(db, {r["star_version_id"] for r in reviews})
    resources = [patient(found[0], base)]
    resources += [questionnaire(db, v) for v in versions.values()]
    resources += [questionnaire_response(db, r, versions[r["star_version_id"]]) for r in reviews]
    resources += [goal(t, base) for t in _targets(db, child_id, service_ids)]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{base}{resource['resourceType']}/{resource['id']}", "resource": resource}
            for resource in resources
        ],
    }


def _rows(db, sql, params=()):
    return list(db.query(sql, params))
