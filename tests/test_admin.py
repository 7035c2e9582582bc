"""The admin's pages: only admins reach them; services, stars and their versions, people, caseloads,
subject access. Each test drives the real forms on a fresh SQLite file."""

import html
import json
import re

import pytest
from conftest import PASSWORD_HASH, SPOOL_EACH_REQUEST, Auth, row_counts

from outcomes import create_app, stars, users
from outcomes.db import connect

SIX_DOMAINS = [
    ("Getting ready", "How your child gets ready for the day, step by step."),
    ("Eating", "How your child eats a meal with the family at the table."),
    ("Sleeping", "How well your child settles and sleeps through the night."),
    ("Playing", "How your child plays with toys and with other children."),
    ("Feelings", "How your child shows and manages big feelings."),
    ("Going out", "How your child copes with shops, buses and busy places."),
]

# Every admin route, with the method it answers. test_every_admin_route_is_listed keeps this complete.
ADMIN_ROUTES = [
    ("GET", "/admin/"),
    ("GET", "/admin/services"),
    ("POST", "/admin/services"),
    ("GET", "/admin/services/1"),
    ("POST", "/admin/services/1"),
    ("POST", "/admin/services/1/retire"),
    ("GET", "/admin/stars"),
    ("GET", "/admin/stars/new"),
    ("POST", "/admin/stars/new"),
    ("GET", "/admin/stars/1"),
    ("POST", "/admin/stars/1"),
    ("GET", "/admin/stars/1/preview"),
    ("POST", "/admin/stars/1/publish"),
    ("GET", "/admin/people"),
    ("GET", "/admin/people/new"),
    ("POST", "/admin/people/new"),
    ("GET", "/admin/people/1"),
    ("POST", "/admin/people/1"),
    ("POST", "/admin/people/1/reset"),
    ("POST", "/admin/people/1/active"),
    ("POST", "/admin/people/1/sign-out"),
    ("GET", "/admin/caseloads"),
    ("GET", "/admin/services/1/caseload"),
    ("POST", "/admin/services/1/caseload"),
    ("POST", "/admin/caseloads/1/move"),
    ("POST", "/admin/caseloads/1/discharge"),
    ("GET", "/admin/children"),
    ("GET", "/admin/children/1"),
    ("POST", "/admin/children/1"),
    ("GET", "/admin/children/1/subject-access.json"),
    ("GET", "/admin/import"),
    ("POST", "/admin/import"),
    ("POST", "/admin/import/confirm"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/audit.csv"),
]


def csrf_of(client):
    return Auth(client).headers()["X-CSRFToken"]


def post(client, path, data=None, **kwargs):
    return client.post(path, data=dict(data or {}, csrf_token=csrf_of(client)), **kwargs)


@pytest.fixture
def admin(client, auth, world):
    auth.login("admin@test.example")
    return client


def test_every_admin_route_is_listed(app):
    routes = {
        (method, re.sub(r"<int:\w+>", "1", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(ADMIN_ROUTES)


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory):
    """One app for the access checks, with a client signed in per role (sign-in hashing is slow)."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path_factory.mktemp("access") / "a.sqlite"),
            "SECRET_KEY": "test",
            **SPOOL_EACH_REQUEST,
        }
    )
    database = connect(app.config["DATABASE"])
    service_ids = stars.create_default_services(database)
    clients = {}
    for role in ("practitioner", "family", "manager", "admin"):
        user = users.create_user(
            database, f"{role}@test.example", role.title(), role, password_hash=PASSWORD_HASH
        )
        if role in ("practitioner", "manager"):
            database["memberships"].insert({"user_id": user, "service_id": service_ids["slt"], "role": role})
        clients[role] = app.test_client()
        assert Auth(clients[role]).login(f"{role}@test.example").status_code == 302
    child = (
        database["children"]
        .insert({"given_name": "Amy", "family_name": "Able", "date_of_birth": "2016-05-01"})
        .last_pk
    )
    database["caseloads"].insert(
        {"child_id": child, "service_id": service_ids["slt"], "started_on": "2024-01-01"}
    )
    yield database, clients
    database.close()


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_only_admins_reach_admin_routes(signed_in, method, path):
    database, clients = signed_in
    for role in ("practitioner", "family", "manager"):
        client = clients[role]
        before = row_counts(database)
        response = client.get(path) if method == "GET" else post(client, path, {"name": "x", "active": "0"})
        assert response.status_code == 403, role
        assert row_counts(database) == before
    if method == "GET":
        assert clients["admin"].get(path).status_code == 200


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_signed_out_visitors_are_refused(client, world, db, method, path):
    before = row_counts(db)
    response = client.get(path) if method == "GET" else client.post(path, data={"name": "x"})
    if method == "GET":
        assert response.status_code == 302 and "/login" in response.location
    else:
        assert response.status_code == 400  # no session, so no CSRF token: refused before anything else
    assert row_counts(db) == before


def test_admin_home_links_every_section(admin):
    page = admin.get("/admin/")
    for text in ("Services", "Stars", "People", "Caseloads", "Import", "Audit trail"):
        assert text in page.text


# --- Services -----------------------------------------------------------------------------


def test_create_rename_and_set_interval_of_a_service(admin, db):
    response = post(
        admin, "/admin/services", {"key": "eh", "name": "Early Help", "review_interval_days": "91"}
    )
    assert response.status_code == 302
    service = db.execute("SELECT id, name, review_interval_days FROM services WHERE key = 'eh'").fetchone()
    assert service[1:] == ("Early Help", 91)
    assert "Early Help" in admin.get("/admin/services").text
    post(admin, f"/admin/services/{service[0]}", {"name": "Early Help Team", "review_interval_days": "120"})
    assert db.execute("SELECT name, review_interval_days FROM services WHERE key = 'eh'").fetchone() == (
        "Early Help Team",
        120,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("key", "", "Enter a short key"),
        ("key", "Bad Key!", "lower-case letters"),
        ("key", "slt", "already has this key"),
        ("name", "", "Enter the service's name."),
        ("review_interval_days", "0", "from 7 to 730 days"),
        ("review_interval_days", "often", "whole number of days"),
    ],
)
def test_bad_service_input_is_named_and_nothing_is_written(admin, db, field, value, message):
    data = {"key": "eh", "name": "Early Help", "review_interval_days": "91", field: value}
    before = row_counts(db)
    response = post(admin, "/admin/services", data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text and message in html.unescape(response.text)
    assert row_counts(db) == before


def test_retired_service_leaves_new_review_choices_and_keeps_history(admin, client, auth, world, db):
    auth.logout()
    auth.login("slt@test.example")
    path = f"/children/{world.amy}/reviews/new?service=slt"
    page = client.get(path)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    keys = [
        d[0]
        for d in db.execute(
            "SELECT key FROM domains WHERE star_version_id = "
            "(SELECT id FROM star_versions WHERE star_id = (SELECT star_id FROM services WHERE key='slt'))"
        )
    ]
    fields.update({f"reading-{key}": "5" for key in keys}, date="2025-05-01", action="submit")
    assert client.post(path, data=fields).status_code == 302
    auth.logout()
    auth.login("admin@test.example")
    response = post(client, f"/admin/services/{world.services['slt']}/retire")
    assert response.status_code == 302
    assert "2 children discharged" in client.get("/admin/services").text
    auth.logout()
    auth.login("slt@test.example")
    assert client.get(path).status_code == 404  # no new reviews for a retired service
    assert "Speech and Language Therapy" not in client.get("/caseload").text
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1  # history kept
    assert (
        db.execute(
            "SELECT count(*) FROM caseloads WHERE service_id = ? AND discharged_on IS NOT NULL",
            [world.services["slt"]],
        ).fetchone()[0]
        == 2
    )
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'discharge'").fetchone()[0] == 2
    # Retired services are not offered for memberships, caseloads or publishing.
    auth.logout()
    auth.login("admin@test.example")
    assert f'value="{world.services["slt"]}"' not in client.get("/admin/people/new").text


# --- Stars --------------------------------------------------------------------------------


def star_form(name="Home life star", domains=SIX_DOMAINS, **extra):
    data = {
        "name": name,
        "scale_min": "1",
        "scale_max": "10",
        **{
            f"stage-{n}": stage
            for n, stage in enumerate(["Stuck", "Trying", "Learning", "Nearly there", "Doing well"], start=1)
        },
    }
    for row, domain in enumerate(domains):
        label, description = domain[:2]
        data[f"domain-{row}-label"] = label
        data[f"domain-{row}-description"] = description
        if len(domain) > 2:
            data[f"domain-{row}-key"] = domain[2]
    data.update(extra)
    return data


def create_star(client, **kwargs):
    response = post(client, "/admin/stars/new", star_form(**kwargs))
    assert response.status_code == 302, response.text
    return int(response.location.rsplit("/", 1)[1])


def test_create_a_star_with_six_domains_as_a_draft(admin, db):
    star_id = create_star(admin)
    version = db.execute(
        "SELECT id, version, published_at FROM star_versions WHERE star_id = ?", [star_id]
    ).fetchone()
    assert version[1:] == (1, None)
    domains = db.execute(
        "SELECT key, label FROM domains WHERE star_version_id = ? ORDER BY position", [version[0]]
    ).fetchall()
    assert [label for _, label in domains] == [label for label, _ in SIX_DOMAINS]
    assert domains[0][0] == "getting_ready"  # key made from the label
    stages = db.execute(
        "SELECT name, min_score, max_score FROM stages WHERE star_version_id = ? ORDER BY position",
        [version[0]],
    ).fetchall()
    assert stages == [
        ("Stuck", 1, 2),
        ("Trying", 3, 4),
        ("Learning", 5, 6),
        ("Nearly there", 7, 8),
        ("Doing well", 9, 10),
    ]
    assert "Draft" in admin.get("/admin/stars").text


def test_domains_are_ordered_by_position(admin, db):
    data = star_form(**{"domain-0-position": "6", "domain-5-position": "1"})
    response = post(admin, "/admin/stars/new", data)
    star_id = int(response.location.rsplit("/", 1)[1])
    labels = [
        row[0]
        for row in db.execute(
            "SELECT d.label FROM domains d JOIN star_versions sv ON sv.id = d.star_version_id "
            "WHERE sv.star_id = ? ORDER BY d.position",
            [star_id],
        )
    ]
    assert labels[0] == "Going out" and labels[-1] == "Getting ready"


def test_scale_of_five_points_gives_one_point_a_stage(admin, db):
    star_id = create_star(admin, scale_max="5")
    bands = db.execute(
        "SELECT min_score, max_score FROM stages s JOIN star_versions sv ON sv.id = s.star_version_id "
        "WHERE sv.star_id = ? ORDER BY position",
        [star_id],
    ).fetchall()
    assert bands == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"domains": SIX_DOMAINS[:3]}, "domains", "from 4 to 12 domains"),
        ({"name": ""}, "name", "Give the star a name."),
        ({"stage-3": ""}, "stages-2", "Give each stage a name"),
        ({"scale_max": "4"}, "scale_max", "at least five points"),
        ({"domain-2-description": "Short"}, "domains-2-description", "10 to 400 characters"),
        ({"domain-4-label": "Eating"}, "domains-4-label", "share the key"),
        ({"domain-1-position": "first"}, "domains-1-position", "whole number"),
        ({"key": "home_life_star_taken"}, "key", "already has the key"),
    ],
)
def test_bad_star_input_is_named_and_nothing_is_written(admin, db, change, field, message):
    create_star(admin, name="Taken", key="home_life_star_taken")
    change = dict(change)
    data = star_form(domains=change.pop("domains", SIX_DOMAINS), **change)
    before = row_counts(db)
    response = post(admin, "/admin/stars/new", data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text and message in html.unescape(response.text)
    assert row_counts(db) == before


def test_preview_shows_the_star_as_a_family_sees_it(admin, db):
    star_id = create_star(admin)
    page = admin.get(f"/admin/stars/{star_id}/preview")
    assert page.status_code == 200
    for label, description in SIX_DOMAINS:
        assert label in page.text and description in page.text
    assert "Nearly there" in page.text and "made-up examples" in page.text
    chart = json.loads(re.search(r'id="star-data-preview">(.*?)</script>', page.text, re.S).group(1))
    assert chart["labels"] == [label for label, _ in SIX_DOMAINS] and len(chart["datasets"][1]["values"]) == 6


def test_editing_an_unused_draft_changes_it_in_place(admin, db):
    star_id = create_star(admin)
    post(admin, f"/admin/stars/{star_id}", star_form(name="Home life star (edited)"))
    assert db.execute(
        "SELECT count(*), max(version) FROM star_versions WHERE star_id = ?", [star_id]
    ).fetchone() == (1, 1)
    assert (
        db.execute("SELECT name FROM stars WHERE id = ?", [star_id]).fetchone()[0]
        == "Home life star (edited)"
    )


def publish(client, star_id, service_id=""):
    return post(client, f"/admin/stars/{star_id}/publish", {"service_id": str(service_id)})


def review_on(client, child_id, service_key, score, when):
    """Submit a review through the practitioner's form with every domain scored `score`."""
    path = f"/children/{child_id}/reviews/new?service={service_key}"
    page = client.get(path)
    assert page.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    keys = sorted(set(re.findall(r'name="reading-(\w+)"', page.text)))
    fields.update({f"reading-{key}": str(score) for key in keys}, date=when, action="submit")
    response = client.post(path, data=fields)
    assert response.status_code == 302, response.text
    return keys


def test_star_versions_old_reviews_keep_theirs_and_comparisons_use_shared_domains(client, auth, world, db):
    auth.login("admin@test.example")
    domains = [(label, description) for label, description in SIX_DOMAINS]
    star_id = create_star(client, domains=domains)
    assert publish(client, star_id, world.services["slt"]).status_code == 302
    v1 = db.execute("SELECT id, published_at FROM star_versions WHERE star_id = ?", [star_id]).fetchone()
    assert v1[1] is not None
    auth.logout()

    auth.login("slt@test.example")
    first_keys = review_on(client, world.amy, "slt", 4, "2025-03-01")
    assert "going_out" in first_keys and len(first_keys) == 6
    auth.logout()

    # The admin drops "Going out", adds "Talking", keeps the other keys: a new version, as a draft.
    auth.login("admin@test.example")
    edit_page = client.get(f"/admin/stars/{star_id}")
    assert "saving makes version 2" in edit_page.text
    edited = [
        (label, description, key)
        for (label, description), key in zip(
            domains[:5],
            first_keys and ["getting_ready", "eating", "sleeping", "playing", "feelings"],
            strict=False,
        )
    ]
    edited.append(("Talking", "How your child tells you what they want and need."))
    response = post(client, f"/admin/stars/{star_id}", star_form(domains=edited))
    assert response.status_code == 302
    versions = db.execute(
        "SELECT version, published_at IS NOT NULL FROM star_versions WHERE star_id = ? ORDER BY version",
        [star_id],
    ).fetchall()
    assert versions == [(1, 1), (2, 0)]
    v1_domains = db.execute("SELECT count(*) FROM domains WHERE star_version_id = ?", [v1[0]]).fetchone()[0]
    assert v1_domains == 6  # the published version did not change
    auth.logout()

    # Until it is published, new reviews still use version 1.
    auth.login("slt@test.example")
    assert "Going out" in client.get(f"/children/{world.bob}/reviews/new?service=slt").text
    auth.logout()
    auth.login("admin@test.example")
    publish(client, star_id)
    auth.logout()

    auth.login("slt@test.example")
    second_keys = review_on(client, world.amy, "slt", 7, "2025-09-01")
    assert "talking" in second_keys and "going_out" not in second_keys
    made_with = [
        row[0]
        for row in db.execute(
            "SELECT sv.version FROM reviews r JOIN star_versions sv ON sv.id = r.star_version_id "
            "ORDER BY r.date"
        )
    ]
    assert made_with == [1, 2]  # each review keeps the version it was made with
    page = client.get(f"/children/{world.amy}")
    assert "only the domains both versions share are compared" in page.text
    chart = json.loads(re.search(r'id="star-data-slt">(.*?)</script>', page.text, re.S).group(1))
    assert chart["labels"] == ["Getting ready", "Eating", "Sleeping", "Playing", "Feelings"]
    assert chart["datasets"][0]["values"] == [4] * 5 and chart["datasets"][1]["values"] == [7] * 5
    # The first review still shows its own six domains, Going out included.
    first_review = db.execute("SELECT id FROM reviews ORDER BY date LIMIT 1").fetchone()[0]
    assert "Going out" in client.get(f"/reviews/{first_review}").text


def test_a_version_used_by_a_draft_review_is_frozen_too(client, auth, world, db):
    auth.login("admin@test.example")
    star_id = create_star(client)
    publish(client, star_id, world.services["slt"])
    post(client, f"/admin/stars/{star_id}", star_form(name="Renamed"))
    assert db.execute("SELECT count(*) FROM star_versions WHERE star_id = ?", [star_id]).fetchone()[0] == 2


# --- People -------------------------------------------------------------------------------


def new_staff(client, **extra):
    data = {"email": "nina@test.example", "name": "Nina Nurse", "role": "practitioner", **extra}
    return post(client, "/admin/people/new", data)


def reset_path(page_text):
    return re.search(r'id="reset-link" href="http://localhost(/reset-password/[^"]+)"', page_text).group(1)


def test_new_staff_account_sets_password_through_one_time_link(admin, client, auth, world, db):
    slt = world.services["slt"]
    response = new_staff(client, practitioner_of=[str(slt)], manager_of=[str(world.services["ot"])])
    assert response.status_code == 200 and "Account created for Nina Nurse" in response.text
    path = reset_path(response.text)
    token = path.rsplit("/", 1)[1]
    user = db.execute("SELECT id, password_hash FROM users WHERE email = 'nina@test.example'").fetchone()
    assert user[1] is None
    assert sorted(
        db.execute("SELECT service_id, role FROM memberships WHERE user_id = ?", [user[0]]).fetchall()
    ) == sorted([(slt, "practitioner"), (world.services["ot"], "manager")])
    assert token not in json.dumps(
        db.execute("SELECT * FROM password_resets").fetchall()
    )  # only its hash is stored

    auth.logout()
    form = client.get(path, follow_redirects=True)
    assert form.status_code == 200 and "nina@test.example" in form.text
    assert form.request.path == "/reset-password"  # the token left the address bar at once
    short = post(client, path, {"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    mismatch = post(client, path, {"password": "a long new password", "confirm": "a long new passwerd"})
    assert mismatch.status_code == 422 and "different" in mismatch.text
    done = post(client, path, {"password": "a long new password", "confirm": "a long new password"})
    assert done.status_code == 302 and done.location.endswith("/login")
    assert client.get(path).status_code == 404  # single use
    signed_in = auth.login("nina@test.example", "a long new password")
    assert signed_in.status_code == 302 and signed_in.location.endswith("/caseload")
    assert "Amy Able" in client.get("/caseload").text


def test_expired_reset_link_is_refused(world, db, client):
    from datetime import datetime, timedelta, timezone

    from outcomes import users

    token = users.create_reset(db, world.slt, now=datetime.now(timezone.utc) - timedelta(hours=73))
    assert client.get(f"/reset-password/{token}").status_code == 404
    assert client.get("/reset-password/not-a-token").status_code == 404


def test_reset_link_from_admin_replaces_the_old_one(admin, world, db):
    first = reset_path(post(admin, f"/admin/people/{world.slt}/reset").text)
    second = reset_path(post(admin, f"/admin/people/{world.slt}/reset").text)
    assert first != second
    assert admin.get(first).status_code == 404 and admin.get(second).status_code == 303


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter an email address"),
        ("email", "SLT@test.example", "already uses this email"),
        ("name", "", "Enter their name."),
        ("role", "family", "Choose a role."),
        ("practitioner_of", "999", "Choose services from the list."),
        ("manager_of", "lots", "Not a valid integer."),
    ],
)
def test_bad_staff_input_is_named_and_nothing_is_written(admin, db, field, value, message):
    data = {"email": "nina@test.example", "name": "Nina Nurse", "role": "practitioner", field: value}
    before = row_counts(db)
    response = post(admin, "/admin/people/new", data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text and message in html.unescape(response.text)
    assert row_counts(db) == before


def test_change_role_and_memberships(admin, world, db):
    response = post(
        admin,
        f"/admin/people/{world.slt}",
        {
            "name": "Sally Lead",
            "role": "manager",
            "manager_of": [str(world.services["slt"]), str(world.services["physio"])],
        },
    )
    assert response.status_code == 302
    assert db.execute("SELECT name, role FROM users WHERE id = ?", [world.slt]).fetchone() == (
        "Sally Lead",
        "manager",
    )
    assert sorted(
        db.execute("SELECT service_id, role FROM memberships WHERE user_id = ?", [world.slt]).fetchall()
    ) == sorted([(world.services["slt"], "manager"), (world.services["physio"], "manager")])


def test_deactivated_account_cannot_sign_in_and_their_reviews_stay(client, auth, world, db):
    auth.login("slt@test.example")
    review_on(client, world.amy, "slt", 5, "2025-02-01")
    slt_session = client.get("/caseload")
    assert slt_session.status_code == 200
    admin_client = client.application.test_client()
    Auth(admin_client).login("admin@test.example")
    # Never one tap: the first post asks "Are you sure?" and changes nothing.
    ask = post(admin_client, f"/admin/people/{world.slt}/active", {"active": "0"})
    assert ask.status_code == 200 and "Deactivate Sally SLT?" in ask.text
    assert 'name="confirmed" value="yes"' in ask.text
    assert db.execute("SELECT active FROM users WHERE id = ?", [world.slt]).fetchone()[0] == 1
    assert client.get("/caseload").status_code == 200
    response = post(admin_client, f"/admin/people/{world.slt}/active", {"active": "0", "confirmed": "yes"})
    assert response.status_code == 302
    assert "deactivated" in admin_client.get(response.location).text
    # Her open session ends and she cannot sign in again; her review is still counted.
    assert client.get("/caseload").status_code == 302
    assert auth.login("slt@test.example").status_code == 422
    assert (
        db.execute(
            "SELECT count(*) FROM reviews WHERE practitioner_id = ? AND status = 'submitted'", [world.slt]
        ).fetchone()[0]
        == 1
    )
    assert "Sally SLT" in admin_client.get(f"/children/{world.amy}").text
    # A deactivated account gets no password link; reactivated, it can have one.
    assert post(admin_client, f"/admin/people/{world.slt}/reset").status_code == 302
    post(admin_client, f"/admin/people/{world.slt}/active", {"active": "1"})
    assert "Password link for Sally SLT" in post(admin_client, f"/admin/people/{world.slt}/reset").text


def test_admin_cannot_deactivate_or_demote_themself(admin, world, db):
    refused = post(admin, f"/admin/people/{world.admin}/active", {"active": "0", "confirmed": "yes"})
    assert refused.status_code == 302
    assert db.execute("SELECT active FROM users WHERE id = ?", [world.admin]).fetchone()[0] == 1
    response = post(admin, f"/admin/people/{world.admin}", {"name": "Ada", "role": "practitioner"})
    assert response.status_code == 422 and "cannot change your own role" in response.text
    assert db.execute("SELECT role FROM users WHERE id = ?", [world.admin]).fetchone()[0] == "admin"


def test_family_account_cannot_be_turned_into_staff(admin, world, db):
    response = post(admin, f"/admin/people/{world.family}", {"name": "Pat", "role": "admin"})
    assert response.status_code == 422
    assert db.execute("SELECT role FROM users WHERE id = ?", [world.family]).fetchone()[0] == "family"


def test_blank_review_interval_is_refused_not_reset(admin, world, db):
    response = post(
        admin, f"/admin/services/{world.services['slt']}", {"name": "Speech", "review_interval_days": ""}
    )
    assert response.status_code == 422 and "Enter the review interval in days." in response.text
    assert (
        db.execute("SELECT name FROM services WHERE key = 'slt'").fetchone()[0]
        == "Speech and Language Therapy"
    )


# --- Caseloads ----------------------------------------------------------------------------


def add_new_child(client, service_id, **extra):
    data = {
        "form": "new",
        "given_name": "Dina",
        "family_name": "Das",
        "date_of_birth": "2018-04-04",
        "nhs_number": "999 000 0018",
        "local_id": "L-77",
        **extra,
    }
    return post(client, f"/admin/services/{service_id}/caseload", data)


def test_add_a_new_child_to_a_caseload_and_a_practitioners_list(admin, client, auth, world, db):
    slt = world.services["slt"]
    response = add_new_child(client, slt, practitioner_id=str(world.slt), started_on="2025-11-01")
    assert response.status_code == 302
    child = db.execute("SELECT id, nhs_number, local_id FROM children WHERE given_name = 'Dina'").fetchone()
    assert child[1:] == ("9990000018", "L-77")  # stored without spaces
    assert db.execute(
        "SELECT practitioner_id, started_on FROM caseloads WHERE child_id = ?", [child[0]]
    ).fetchone() == (world.slt, "2025-11-01")
    actions = [
        row[0]
        for row in db.execute("SELECT action FROM audit_log WHERE child_id = ? ORDER BY id", [child[0]])
    ]
    assert actions == ["create child", "add to caseload"]
    assert "Dina Das" in client.get(f"/admin/services/{slt}/caseload").text
    auth.logout()
    auth.login("slt@test.example")
    assert "Dina Das" in client.get("/caseload").text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nhs_number", "9990000017", "check digit is wrong"),
        ("nhs_number", "12345", "10 digits"),
        ("given_name", "", "Enter the child's given name."),
        ("date_of_birth", "31/02/2019", "real date"),
        ("date_of_birth", "2999-01-01", "cannot be in the future"),
        ("practitioner_id", "PHYSIO", "Not a valid integer."),
        ("practitioner_id", "PHYSIO_ID", "active practitioner of this service"),
        ("local_id", "TAKEN", "Another child already has this local id"),
    ],
)
def test_bad_child_input_is_named_and_nothing_is_written(admin, world, db, field, value, message):
    db["children"].update(world.cat, {"local_id": "TAKEN"})
    value = str(world.physio) if value == "PHYSIO_ID" else value
    before = row_counts(db)
    response = add_new_child(admin, world.services["slt"], **{field: value})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text and message in html.unescape(response.text)
    after = row_counts(db)
    # The page shown again lists the caseload, and that read is audited; nothing else is written.
    after.pop("audit_log"), before.pop("audit_log")
    assert after == before


def test_add_an_existing_child_to_another_service_by_nhs_number(admin, world, db):
    db["children"].update(world.cat, {"nhs_number": "9990000026"})
    ot = world.services["ot"]
    response = post(admin, f"/admin/services/{ot}/caseload", {"form": "existing", "child": "999 000 0026"})
    assert response.status_code == 302
    assert (
        db.execute(
            "SELECT count(*) FROM caseloads WHERE child_id = ? AND service_id = ?", [world.cat, ot]
        ).fetchone()[0]
        == 1
    )
    again = post(admin, f"/admin/services/{ot}/caseload", {"form": "existing", "child": str(world.cat)})
    assert again.status_code == 422 and "already on this service's caseload" in html.unescape(again.text)
    unknown = post(admin, f"/admin/services/{ot}/caseload", {"form": "existing", "child": "nobody"})
    assert unknown.status_code == 422 and 'id="child-error"' in unknown.text


def test_move_between_practitioners_and_discharge_keeps_history(client, auth, world, db):
    slt = world.services["slt"]
    second = (
        db["users"].insert({"email": "sam@test.example", "name": "Sam SLT", "role": "practitioner"}).last_pk
    )
    db["memberships"].insert({"user_id": second, "service_id": slt, "role": "practitioner"})
    auth.login("admin@test.example")
    episode = db.execute(
        "SELECT id FROM caseloads WHERE child_id = ? AND service_id = ?", [world.amy, slt]
    ).fetchone()[0]
    assert (
        post(client, f"/admin/caseloads/{episode}/move", {"practitioner_id": str(world.slt)}).status_code
        == 302
    )
    post(client, f"/admin/caseloads/{episode}/move", {"practitioner_id": str(second)})
    assert db.execute("SELECT practitioner_id FROM caseloads WHERE id = ?", [episode]).fetchone()[0] == second
    # A practitioner of another service cannot take the child.
    post(client, f"/admin/caseloads/{episode}/move", {"practitioner_id": str(world.physio)})
    assert db.execute("SELECT practitioner_id FROM caseloads WHERE id = ?", [episode]).fetchone()[0] == second

    # A bad date is refused before any confirmation step.
    bad = post(client, f"/admin/caseloads/{episode}/discharge", {"discharged_on": "2023-01-01"})
    assert "before the episode started" in client.get(bad.location).text
    # Never one tap: "Are you sure?" names the child, the service and the day; nothing changes yet.
    ask = post(client, f"/admin/caseloads/{episode}/discharge", {"discharged_on": "2025-12-01"})
    assert ask.status_code == 200
    assert "Discharge Amy" in ask.text and "on 1 December 2025" in ask.text
    assert 'name="discharged_on" value="2025-12-01"' in ask.text
    assert db.execute("SELECT discharged_on FROM caseloads WHERE id = ?", [episode]).fetchone()[0] is None
    post(client, f"/admin/caseloads/{episode}/discharge", {"discharged_on": "2025-12-01", "confirmed": "yes"})
    assert (
        db.execute("SELECT discharged_on FROM caseloads WHERE id = ?", [episode]).fetchone()[0]
        == "2025-12-01"
    )
    page = client.get(f"/admin/children/{world.amy}")
    assert 'Discharged <time datetime="2025-12-01">1 December 2025</time>' in page.text
    actions = [
        row[0]
        for row in db.execute("SELECT action FROM audit_log WHERE child_id = ? ORDER BY id", [world.amy])
    ]
    assert actions.count("move caseload") == 2 and "discharge" in actions
    auth.logout()
    auth.login("slt@test.example")
    assert client.get(f"/children/{world.amy}").status_code == 404  # no longer on her caseload
    assert "Amy Able" not in client.get("/caseload").text


def test_correct_a_childs_details(admin, world, db):
    response = post(
        admin,
        f"/admin/children/{world.bob}",
        {
            "given_name": "Bobby",
            "family_name": "Brown",
            "date_of_birth": "11/02/2017",
            "nhs_number": "9990000034",
        },
    )
    assert response.status_code == 302
    assert db.execute(
        "SELECT given_name, date_of_birth, nhs_number FROM children WHERE id = ?", [world.bob]
    ).fetchone() == ("Bobby", "2017-02-11", "9990000034")
    assert (
        db.execute(
            "SELECT count(*) FROM audit_log WHERE child_id = ? AND action = 'update child'", [world.bob]
        ).fetchone()[0]
        == 1
    )


def test_find_a_child_by_name_or_nhs_number(admin, world, db):
    db["children"].update(world.cat, {"nhs_number": "9990000026"})
    assert "Cat Cole" in admin.get("/admin/children?q=cat").text
    assert "Cat Cole" in admin.get("/admin/children?q=999+000+0026").text
    assert "No child matches" in admin.get("/admin/children?q=zzz").text


# --- Subject access -----------------------------------------------------------------------


def test_subject_access_export_holds_everything_about_the_child_and_is_audited(client, auth, world, db):
    auth.login("slt@test.example")
    review_on(client, world.amy, "slt", 3, "2025-01-10")
    review_id = db.execute("SELECT id FROM reviews").fetchone()[0]
    amend = f"/reviews/{review_id}/amend"
    page = client.get(amend)
    keys = sorted(set(re.findall(r'name="reading-(\w+)"', page.text)))
    post(client, amend, {**{f"reading-{k}": "4" for k in keys}, "amendment_reason": "Wrong session notes"})
    latest = db.execute("SELECT id FROM reviews WHERE is_latest = 1").fetchone()[0]
    db["targets"].insert(
        {
            "child_id": world.amy,
            "service_id": world.services["slt"],
            "domain_key": "talking",
            "set_in_review_id": latest,
            "description": "Uses two-word phrases",
            "start_score": 4,
            "target_score": 6,
            "due_date": "2025-07-01",
        }
    )
    view = (
        db["family_views"]
        .insert(
            {"review_id": latest, "user_id": world.family, "rating": 4, "comment": "Much happier at school"}
        )
        .last_pk
    )
    db["family_view_readings"].insert(
        {
            "family_view_id": view,
            "domain_id": db.execute(
                "SELECT domain_id FROM readings WHERE review_id = ? LIMIT 1", [latest]
            ).fetchone()[0],
            "score": 5,
        }
    )
    auth.logout()
    auth.login("admin@test.example")
    response = client.get(f"/admin/children/{world.amy}/subject-access.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    export = response.get_json()
    assert export["child"]["given_name"] == "Amy"
    assert {c["service"] for c in export["caseloads"]} == {"slt", "physio"}
    assert [(r["version"], r["is_latest"]) for r in export["reviews"]] == [(1, 0), (2, 1)]
    assert {r["score"] for r in export["reviews"][0]["readings"]} == {3}
    assert {r["score"] for r in export["reviews"][1]["readings"]} == {4}
    assert export["reviews"][1]["amendment_reason"] == "Wrong session notes"
    assert export["targets"][0]["description"] == "Uses two-word phrases"
    assert export["family_views"][0]["comment"] == "Much happier at school"
    assert export["family_views"][0]["fft_answer"] == "good"  # the old rating 4, as an FFT answer
    assert export["family_views"][0]["readings"][0]["score"] == 5
    assert export["family_links"] == [
        {
            "name": "Pat Parent",
            "email": "family@test.example",
            "active": 1,
            "linked_at": export["family_links"][0]["linked_at"],
        }
    ]
    assert any(entry["action"] == "submit review" for entry in export["audit_log"])
    assert "password_hash" not in response.text and "token_hash" not in response.text
    assert (
        db.execute(
            "SELECT user_id FROM audit_log WHERE action = 'subject access export' AND child_id = ?",
            [world.amy],
        ).fetchone()[0]
        == world.admin
    )
    assert admin_404(client, "/admin/children/9999/subject-access.json")


def admin_404(client, path):
    return client.get(path).status_code == 404


def test_pages_for_missing_records_are_404(admin):
    for path in (
        "/admin/services/999",
        "/admin/stars/999",
        "/admin/stars/999/preview",
        "/admin/people/999",
        "/admin/children/999",
        "/admin/services/999/caseload",
    ):
        assert admin.get(path).status_code == 404, path
