"""Every staff read of a child's data is audited, lists included; no child's name rides in the
cookie; the admin child page's Move form works."""

import base64
import time
import zlib

import pytest
from conftest import Auth
from test_family import story  # noqa: F401  (the fixture: Amy's reviews)


def entries(db, action):
    return [
        (row["user_id"], row["child_id"])
        for row in db.query("SELECT user_id, child_id FROM audit_log WHERE action = ? ORDER BY id", [action])
    ]


def test_a_caseload_list_is_audited_for_each_child_shown(client, auth, world, db):
    auth.login("slt@test.example")
    assert client.get("/caseload").status_code == 200
    assert sorted(entries(db, "view caseload")) == [(world.slt, world.amy), (world.slt, world.bob)]


def test_the_admins_caseload_page_is_audited(client, auth, world, db):
    auth.login("admin@test.example")
    assert client.get(f"/admin/services/{world.services['physio']}/caseload").status_code == 200
    assert sorted(entries(db, "view caseload")) == [(world.admin, world.amy), (world.admin, world.cat)]


def test_the_admin_child_search_is_audited_for_each_child_found(client, auth, world, db):
    auth.login("admin@test.example")
    assert "Amy" in client.get("/admin/children", query_string={"q": "Amy"}).text
    assert entries(db, "child search") == [(world.admin, world.amy)]


def test_opening_the_amend_form_is_audited(client, auth, story, db):  # noqa: F811
    auth.login("slt@test.example")
    assert client.get(f"/reviews/{story.amy_latest}/amend").status_code == 200
    assert entries(db, "open amend form") == [(story.slt, story.amy)]


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
def test_the_audit_trail_records_its_own_viewing(client, auth, world, db, path):
    auth.login("admin@test.example")
    assert client.get(path, query_string={"child": str(world.amy)}).status_code == 200
    action = "view audit trail" if path.endswith("audit") else "download audit trail"
    assert entries(db, action) == [(world.admin, world.amy)]


def cookie_text(client):
    """What anyone holding the cookie can read: Flask signs the session, it does not encrypt it."""
    payload = client.get_cookie("session").value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    compressed = client.get_cookie("session").value.startswith(".")
    return (zlib.decompress(raw) if compressed else raw).decode()


def test_adding_a_child_does_not_put_their_name_in_the_cookie(client, auth, world, db):
    auth.login("admin@test.example")
    page = client.post(
        f"/admin/services/{world.services['slt']}/caseload",
        data={
            "form": "new",
            "csrf_token": auth.csrf("/admin/"),
            "given_name": "Zebedee",
            "family_name": "Quartermain",
            "date_of_birth": "2018-04-01",
        },
    )
    assert page.status_code == 302
    assert "Quartermain" not in cookie_text(client) and "Zebedee" not in cookie_text(client)
    assert f"Child record {db['children'].count} added to the" in client.get(page.location).text


def test_the_admin_child_pages_move_form_moves_the_child(client, auth, world, db):
    caseload = db.execute(
        "SELECT id FROM caseloads WHERE child_id = ? AND service_id = ?", [world.amy, world.services["slt"]]
    ).fetchone()[0]
    auth.login("admin@test.example")
    page = client.post(
        f"/admin/caseloads/{caseload}/move",
        data={"csrf_token": auth.csrf("/admin/"), "back": "child", "practitioner_id": str(world.slt)},
    )
    assert page.location == f"/admin/children/{world.amy}"
    assert "Unknown field" not in client.get(page.location).text
    assert db["caseloads"].get(caseload)["practitioner_id"] == world.slt


def test_a_signed_out_browser_keeps_no_session_row(app, client, auth, world, db):
    auth.login("slt@test.example")
    assert db["user_sessions"].count == 1
    Auth(client).logout()
    assert db["user_sessions"].count == 0


def test_a_new_secret_key_ends_sessions_signed_with_the_old_one_unless_kept_as_a_fallback(
    app, client, auth, world
):
    # The session's signer is made once per key: a changed key must still be the one that checks.
    auth.login("slt@test.example")
    assert client.get("/caseload").status_code == 200
    old = app.secret_key
    app.secret_key = "a-new-secret"
    assert client.get("/caseload").status_code == 302  # to the sign-in page
    auth.login("slt@test.example")
    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = old
    assert client.get("/caseload").status_code == 200  # signed with a fallback key: still accepted


def test_a_cookie_altered_after_the_genuine_one_was_accepted_is_refused(client, auth, world):
    # Each cookie's signature is checked once and remembered: the genuine cookie being known must
    # not make a forged one (a changed payload, or the same payload with a changed signature) pass.
    auth.login("slt@test.example")
    assert client.get("/caseload").status_code == 200  # its CSRF token joins the session: a new cookie
    genuine = client.get_cookie("session").value
    assert client.get("/caseload").status_code == 200  # this very cookie checked, and kept
    payload, stamp, signature = genuine.rsplit(".", 2)
    # The first character: the last one of a 20-byte signature carries 2 unused bits, so changing
    # it (say B to A) can leave the same bytes, a genuine signature.
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for forged in (f"{payload}.{stamp}.{flipped}", f"{payload}x.{stamp}.{signature}"):
        client.set_cookie("session", forged)
        assert client.get("/caseload").status_code == 302  # to the sign-in page
    client.set_cookie("session", genuine)
    assert client.get("/caseload").status_code == 200


def test_a_session_cookie_older_than_its_lifetime_is_refused_even_once_accepted(
    app, client, auth, world, monkeypatch
):
    auth.login("slt@test.example")
    client.get("/caseload")  # the page's CSRF token goes into the session: a new cookie
    cookie = client.get_cookie("session").value
    assert client.get("/caseload").status_code == 200  # this cookie's signature checked, and kept
    assert client.get_cookie("session").value == cookie
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = time.time() + lifetime + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/caseload").status_code == 302


def test_a_flashed_message_shows_once_whatever_cookie_carried_it(client, auth, world):
    # A session holding flashed messages is not remembered: each is shown once, then gone.
    client.get("/caseload")  # signed out: sent to sign in, with a message saying so
    assert client.get("/login").get_data(as_text=True).count('class="flash"') == 1
    assert 'class="flash"' not in client.get("/login").get_data(as_text=True)
    auth.login("slt@test.example")
    assert client.get("/caseload").status_code == 200
