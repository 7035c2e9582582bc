"""Who may reach what: every route of the URL map, requested by every kind of visitor, against one
table of expected outcomes. A route added without a row here fails the test, naming the route.

Outcomes: O the visitor gets the page or the action (2xx),
R redirected somewhere other than sign-in (e.g. to their own home), L sent to sign in (or 401),
V refused as invalid input, naming the field and writing nothing (400/409/422: the visitor may
use the route, the empty or made-up input was wrong), D denied (403 or 404: never a hint that the
record exists). A 5xx is always a failure.
"""

import re
from types import SimpleNamespace

import pytest
from conftest import PASSWORD_HASH, Auth
from scorecard_data import save
from test_api_reviews import review_body

from outcomes import tokens, users

VISITORS = ["anonymous", "family_other", "family_this", "prac_other", "prac_this", "manager", "admin", "feed"]

# Columns: anonymous, family of another child, family of this child, practitioner of another
# service, practitioner of this service, manager, admin, feed token. One letter per visitor.
#                                                          an fo ft po pt mg ad fd
EXPECTED = {
    ("GET", "/"): "L R R R R R R L",
    ("GET", "/login"): "O O O O O O O O",
    ("POST", "/login"): "V V V V V V V V",
    ("GET", "/reset-password/<token>"): "D D D D D D D D",
    ("POST", "/reset-password/<token>"): "D D D D D D D D",
    # The link's token moves into the session; with none there, the form is no one's.
    ("GET", "/reset-password"): "D D D D D D D D",
    ("POST", "/reset-password"): "D D D D D D D D",
    # Single sign-on: not configured in this app, so its routes are not there for anyone.
    ("GET", "/sso/login"): "D D D D D D D D",
    ("GET", "/sso/callback"): "D D D D D D D D",
    ("GET", "/offline"): "O O O O O O O O",
    ("GET", "/sw.js"): "O O O O O O O O",
    ("GET", "/static/<path:filename>"): "O O O O O O O O",
    ("GET", "/api/v1/openapi.json"): "O O O O O O O O",
    # Nobody signed in is an answer (204), so signed-out pages log no failed request.
    ("GET", "/api/v1/offline/whoami"): "O O O O O O O O",
    ("GET", "/api/v1/offline/bundle"): "L D D O O D D L",
    # A practitioner of another service is refused by the review's check of the caseload.
    ("POST", "/api/v1/reviews"): "L D D V O D D L",
    # The feed takes a token only: a signed-in session is not a token.
    ("GET", "/api/v1/scorecard"): "L L L L L L L O",
    # The regional view: managers and admins (other areas' published figures only).
    ("GET", "/region/"): "L D D D D O O L",
    # One child as FHIR: staff who may see the child (an admin any); never a family or a manager.
    ("GET", "/api/v1/children/<int:child_id>/fhir"): "L D D D O D O L",
    # Practitioners' pages, for this child (on the slt caseload) and this child's review.
    ("GET", "/caseload"): "L D D O O D D L",
    ("GET", "/children/<int:child_id>"): "L D D D O D O L",
    ("GET", "/children/<int:child_id>/report"): "L D D D O D O L",
    ("POST", "/children/<int:child_id>/invitations"): "L D D D O D O L",
    # Emailing an invitation: posted without its code, refused as input (400).
    ("POST", "/children/<int:child_id>/invitations/email"): "L D D D V D V L",
    ("GET", "/children/<int:child_id>/reviews/new"): "L D D D O D D L",
    ("POST", "/children/<int:child_id>/reviews/new"): "L D D D V D D L",
    ("GET", "/reviews/<int:review_id>"): "L D D D O D O L",
    ("GET", "/reviews/<int:review_id>/amend"): "L D D D O D D L",
    ("POST", "/reviews/<int:review_id>/amend"): "L D D D V D D L",
    # A draft (only its author may go on with it).
    ("GET", "/reviews/<int:review_id>/edit"): "L D D D O D D L",
    ("POST", "/reviews/<int:review_id>/edit"): "L D D D V D D L",
    # Withdrawing a review entered in error: its author or an admin; posted with no reason: refused.
    ("GET", "/reviews/<int:review_id>/withdraw"): "L D D D O D O L",
    ("POST", "/reviews/<int:review_id>/withdraw"): "L D D D V D V L",
    ("POST", "/api/v1/reviews/<review_uuid>/withdrawal"): "L D D D V D V L",
    # Discarding a draft: its author only.
    ("GET", "/reviews/<int:review_id>/discard"): "L D D D O D D L",
    # Families.
    # A family's home opens their child's page.
    ("GET", "/family/"): "L R R D D D D L",
    ("GET", "/family/children/<int:child_id>"): "L D O D D D D L",
    ("GET", "/family/children/<int:child_id>/print/<service_key>"): "L D O D D D D L",
    ("GET", "/family/reviews/<int:review_id>/view"): "L D O D D D D L",
    ("POST", "/family/reviews/<int:review_id>/view"): "L D V D D D D L",
    ("GET", "/family/join"): "O O O O O O O O",
    # A parent's own choice of email notices (posted empty: none, and back to the page).
    ("GET", "/family/notices"): "L O O D D D D L",
    ("POST", "/family/notices"): "L R R D D D D L",
    ("POST", "/family/join"): "V V V V V V V V",
    # Managers.
    ("GET", "/manager/"): "L D D D D O O L",
    ("GET", "/manager/report"): "L D D D D O O L",
    ("GET", "/manager/scorecard.csv"): "L D D D D O O L",
    # Families' FFT comments, without names: the service's practitioners and managers (each sees
    # the services they belong to; an admin by role alone does not read families' own words).
    ("GET", "/feedback/"): "L D D O O O D L",
    # Admins: every page; forms posted empty are refused field by field; buttons act and redirect.
    **{
        ("GET", rule): "L D D D D D O L"
        for rule in [
            "/admin/",
            "/admin/audit",
            "/admin/audit.csv",
            "/admin/caseloads",
            "/admin/children",
            "/admin/children/<int:child_id>",
            "/admin/children/<int:child_id>/subject-access.json",
            "/admin/import",
            "/admin/people",
            "/admin/people/<int:user_id>",
            "/admin/people/new",
            "/admin/services",
            "/admin/services/<int:service_id>",
            "/admin/services/<int:service_id>/caseload",
            "/admin/stars",
            "/admin/stars/<int:star_id>",
            "/admin/stars/<int:star_id>/preview",
            "/admin/stars/new",
        ]
    },
    **{
        ("POST", rule): "L D D D D D V L"
        for rule in [
            "/admin/children/<int:child_id>",
            "/admin/import",
            "/admin/people/<int:user_id>",
            "/admin/people/<int:user_id>/active",
            "/admin/people/new",
            "/admin/services",
            "/admin/services/<int:service_id>",
            "/admin/services/<int:service_id>/caseload",
            "/admin/stars/<int:star_id>",
            "/admin/stars/new",
        ]
    },
    # Unconfirmed, discharging shows the "Are you sure?" step (before the service is retired below).
    ("POST", "/admin/caseloads/<int:caseload_id>/discharge"): "L D D D D D O L",
    **{
        ("POST", rule): "L D D D D D R L"
        for rule in [
            "/admin/caseloads/<int:caseload_id>/move",
            "/admin/stars/<int:star_id>/publish",
            # Last of the admin's: it retires this child's service.
            "/admin/services/<int:service_id>/retire",
        ]
    },
    # Data protection: the erasure page asks for the record number (posted empty: refused).
    ("GET", "/admin/children/<int:child_id>/erase"): "L D D D D D O L",
    ("POST", "/admin/children/<int:child_id>/erase"): "L D D D D D V L",
    ("GET", "/admin/retention"): "L D D D D D O L",
    ("POST", "/admin/retention"): "L D D D D D R L",
    # Unconfirmed, unlinking shows the "Are you sure?" step (and changes nothing).
    ("POST", "/admin/children/<int:child_id>/family/<int:user_id>/unlink"): "L D D D D D O L",
    # Its maker (a practitioner) or an admin; posted with no invitation id: refused by the check.
    ("POST", "/children/<int:child_id>/invitations/revoke"): "L D D V V D V L",
    # Ends every session of that person (here a bystander, not the admin).
    ("POST", "/admin/people/<int:user_id>/sign-out"): "L D D D D D R L",
    # Shows the new one-time password link.
    ("POST", "/admin/people/<int:user_id>/reset"): "L D D D D D O L",
    # An upload id that is not one of the admin's staged uploads.
    ("POST", "/admin/import/confirm"): "L D D D D D D L",
    # Late: they discard the draft the rows above go on with.
    ("POST", "/reviews/<int:review_id>/discard"): "L D D D R D D L",
    ("DELETE", "/api/v1/reviews/<review_uuid>"): "L D D D O D D L",
    # Last: it ends the visitor's session.
    ("POST", "/logout"): "L L L L L L L L",
}


def routes(app):
    """(method, rule) for every route in the URL map (HEAD and OPTIONS are Flask's own)."""
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def test_every_route_has_a_row(app):
    missing = [f"{method} {rule}" for method, rule in routes(app) if (method, rule) not in EXPECTED]
    assert not missing, (
        "Routes with no row in tests/test_access_matrix.py EXPECTED (add one, saying who may reach it): "
        + ", ".join(missing)
    )
    stale = [f"{method} {rule}" for method, rule in EXPECTED if (method, rule) not in routes(app)]
    assert not stale, "Rows for routes that no longer exist: " + ", ".join(stale)


def ids(db, world):
    """The ids the URLs are filled with: this child, this service, a review of this child."""
    other_family = users.create_user(
        db, "other-family@test.example", "Olive Other", "family", password_hash=PASSWORD_HASH
    )
    db["family_links"].insert({"user_id": other_family, "child_id": world.bob})
    ot = users.create_user(db, "ot@test.example", "Otto OT", "practitioner", password_hash=PASSWORD_HASH)
    db["memberships"].insert({"user_id": ot, "service_id": world.services["ot"], "role": "practitioner"})
    review = save(db, world.slt, world.amy, "2026-01-10", 4)
    draft = save(db, world.slt, world.amy, "2026-02-10", 5, submit=False)
    api_draft = save(db, world.slt, world.amy, "2026-02-11", 5, submit=False)
    caseload = db.execute(
        "SELECT id FROM caseloads WHERE child_id = ? AND service_id = ?", [world.amy, world.services["slt"]]
    ).fetchone()[0]
    bystander = users.create_user(db, "bystander@test.example", "Bea Bystander", "practitioner")
    return SimpleNamespace(
        child_id=world.amy,
        review_id=review["id"],
        review_uuid=review["uuid"],
        draft_id=draft["id"],
        draft_uuid=api_draft["uuid"],
        caseload_id=caseload,
        user_id=bystander,
        service_id=world.services["slt"],
        star_id=db["services"].get(world.services["slt"])["star_id"],
        service_key="slt",
        token="not-a-real-token",
        filename="css/app.css",
    )


LOGINS = {
    "family_other": "other-family@test.example",
    "family_this": "family@test.example",
    "prac_other": "ot@test.example",
    "prac_this": "slt@test.example",
    "manager": "manager@test.example",
    "admin": "admin@test.example",
}


# Where a route needs more than its URL's ids: the service to review for, a draft to go on with.
QUERY = {"/children/<int:child_id>/reviews/new": "?service=slt", "/api/v1/scorecard": "?period=2025-26"}
OVERRIDES = {
    "/reviews/<int:review_id>/edit": {"review_id": "draft_id"},
    "/reviews/<int:review_id>/discard": {"review_id": "draft_id"},
    "/api/v1/reviews/<review_uuid>": {"review_uuid": "draft_uuid"},
}


def url_for_rule(rule, values):
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(getattr(values, m.group(1))), rule)


def outcome(response):
    status = response.status_code
    if status >= 500:
        return f"5xx ({status})"
    if status in (301, 302, 303, 307, 308):
        return "L" if "/login" in response.headers.get("Location", "") else "R"
    if status == 401:
        return "L"
    if status in (403, 404):
        return "D"
    if status < 300:
        return "O"
    if status in (400, 409, 422):
        return "V"
    return f"? ({status})"


@pytest.mark.parametrize("visitor", VISITORS)
def test_access_matrix(app, client, db, world, visitor):
    values = ids(db, world)
    headers = {}
    if visitor == "feed":
        headers["Authorization"] = f"Bearer {tokens.create_token(db, 'matrix')}"
    auth = Auth(client)
    if visitor in LOGINS:
        assert auth.login(LOGINS[visitor]).status_code == 302
    wrong = []
    for (method, rule), row in EXPECTED.items():
        swapped = {name: getattr(values, other) for name, other in OVERRIDES.get(rule, {}).items()}
        url = url_for_rule(rule, SimpleNamespace(**{**vars(values), **swapped}))
        url += QUERY.get(rule, "")
        if method == "GET":
            response = client.get(url, headers=headers)
        elif method == "DELETE":
            response = client.delete(url, headers={**headers, **auth.headers()})
        elif rule == "/api/v1/reviews":
            response = client.post(
                url, json=review_body(values.child_id), headers={**headers, **auth.headers()}
            )
        else:
            response = client.post(url, data={"csrf_token": auth.headers()["X-CSRFToken"]}, headers=headers)
        expected = row.split()[VISITORS.index(visitor)]
        got = outcome(response)
        response.close()
        if got != expected:
            wrong.append(f"{method} {rule}: expected {expected}, got {got} ({response.status_code})")
    assert not wrong, f"{visitor}:\n" + "\n".join(wrong)
