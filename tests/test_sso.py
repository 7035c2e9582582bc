"""Single sign-on for staff against a real OpenID provider (node-oidc-provider on 127.0.0.1): the
provider's own login pages are filled in over HTTP, and its answers come back to the app."""

import re
from html import unescape
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from conftest import Auth, row_counts, sso_config

from outcomes import create_app, users

BASE_URL = "http://127.0.0.1:5000"  # the callback the provider sends the answer to; read here, not served


@pytest.fixture
def app(tmp_path, oidc_provider):
    return create_app(sso_config(tmp_path, oidc_provider, BASE_URL))


def provider_sign_in(start, login):
    """Sign in as `login` on the provider's development pages (login, then consent); returns the
    callback address it sends the browser back to, with the code, state and iss."""
    browser = requests.Session()
    url, form = start, None
    for _ in range(12):
        answer = (
            browser.post(url, data=form, allow_redirects=False)
            if form
            else browser.get(url, allow_redirects=False)
        )
        form = None
        if answer.is_redirect:
            url = urljoin(url, answer.headers["Location"])
            if url.startswith(BASE_URL):
                return url
            continue
        assert answer.status_code == 200, answer.text[:500]
        action = unescape(re.search(r'<form[^>]*action="([^"]+)"', answer.text).group(1))
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', answer.text))
        form = dict(hidden, login=login, password="any") if 'name="login"' in answer.text else hidden
        url = urljoin(url, action)
    raise AssertionError("the provider never sent the browser back")


def start_sign_in(client):
    started = client.get("/sso/login")
    assert started.status_code == 302
    return started.headers["Location"]


def come_back(client, callback):
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}")


def sso_sign_in(client, login):
    return come_back(client, provider_sign_in(start_sign_in(client), login))


def test_authorization_request_uses_pkce_state_and_nonce(client, world):
    query = parse_qs(urlsplit(start_sign_in(client)).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [f"{BASE_URL}/sso/callback"]


def test_staff_sign_in_through_their_organisation(client, world, db):
    page = sso_sign_in(client, "slt@test.example")
    assert page.status_code == 302 and page.headers["Location"] == "/caseload"
    assert client.get("/caseload").status_code == 200
    assert db.execute(
        "SELECT detail FROM audit_log WHERE user_id = ? AND action = 'sign in'", [world.slt]
    ).fetchall() == [("single sign-on",)]


@pytest.mark.parametrize(
    "login, reason",
    [
        ("stranger@test.example", "No staff account uses stranger@test.example"),
        ("family@test.example", "No staff account uses family@test.example"),
        ("unverified@test.example", "has not verified the email address"),
    ],
)
def test_no_account_is_made_or_matched_without_a_verified_staff_email(client, world, db, login, reason):
    db["users"].insert({"email": "unverified@test.example", "name": "Una", "role": "practitioner"})
    before = row_counts(db)
    page = sso_sign_in(client, login)
    assert page.status_code == 403 and reason in unescape(page.text)
    assert row_counts(db) == before
    assert client.get("/caseload").status_code == 302  # still signed out


def test_a_deactivated_account_is_refused(client, world, db):
    users.set_active(db, world.slt, False)
    page = sso_sign_in(client, "slt@test.example")
    assert page.status_code == 403 and "deactivated" in page.text


def test_a_replayed_answer_is_refused(client, world):
    callback = provider_sign_in(start_sign_in(client), "slt@test.example")
    assert come_back(client, callback).status_code == 302
    Auth(client).logout()
    replayed = come_back(client, callback)
    assert replayed.status_code == 403 and "already used" in replayed.text
    assert client.get("/caseload").status_code == 302


def test_an_answer_naming_another_issuer_is_refused_and_spends_its_state(client, world):
    callback = provider_sign_in(start_sign_in(client), "slt@test.example")
    parts = urlsplit(callback)
    query = dict(parse_qs(parts.query), iss=["http://127.0.0.1:1/evil"])
    forged = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    refused = come_back(client, forged)
    assert refused.status_code == 403 and "different issuer" in refused.text
    # The real answer cannot be slipped in after: its state went with the refusal.
    assert come_back(client, callback).status_code == 403


def test_an_answer_from_another_browser_is_refused(client, app, world):
    callback = provider_sign_in(start_sign_in(client), "slt@test.example")
    other = app.test_client()
    assert come_back(other, callback).status_code == 403


def test_a_discovery_naming_another_issuer_is_refused(tmp_path, oidc_provider, world):
    # Configured with the provider's address under another name: discovery's issuer differs.
    wrong = oidc_provider.replace("127.0.0.1", "localhost")
    client = create_app(sso_config(tmp_path, wrong, BASE_URL)).test_client()
    page = client.get("/sso/login")
    assert page.status_code == 503 and "different issuer" in page.text


def test_the_role_claim_sets_the_role(tmp_path, oidc_provider, world, db):
    mapping = {
        "OIDC_ROLE_CLAIM": "groups",
        "OIDC_ROLE_MAP": {"send-leads": "manager", "send-staff": "practitioner"},
    }
    client = create_app(sso_config(tmp_path, oidc_provider, BASE_URL, **mapping)).test_client()
    lead = users.create_user(db, "lead@test.example", "Lee Lead", "practitioner")
    page = sso_sign_in(client, "lead@test.example")
    assert page.headers["Location"] == "/manager/"
    assert db["users"].get(lead)["role"] == "manager"
    # A configured claim that maps to no role refuses, rather than keep an old role.
    unmapped = create_app(
        sso_config(tmp_path, oidc_provider, BASE_URL, OIDC_ROLE_CLAIM="groups", OIDC_ROLE_MAP={"x": "admin"})
    ).test_client()
    assert "in no group" in sso_sign_in(unmapped, "slt@test.example").text


def test_staff_passwords_can_be_switched_off_but_families_keep_theirs(tmp_path, oidc_provider, world, db):
    client = create_app(
        sso_config(tmp_path, oidc_provider, BASE_URL, STAFF_PASSWORD_SIGN_IN=False)
    ).test_client()
    auth = Auth(client)
    page = client.get("/login")
    assert 'id="sso-sign-in"' in page.text and "Families: sign in" in page.text
    refused = auth.login("slt@test.example")
    assert refused.status_code == 422 and "organisation account" in refused.text
    assert auth.login("family@test.example").status_code == 302
    assert db.execute("SELECT user_id, detail FROM audit_log WHERE action = 'sign in'").fetchall() == [
        (world.family, "password")
    ]


def test_sign_out_ends_the_provider_session_too(client, world, db):
    sso_sign_in(client, "slt@test.example")
    assert db["user_sessions"].count == 1
    out = Auth(client).logout()
    assert out.status_code == 302
    assert urlsplit(out.headers["Location"]).path == "/session/end"
    query = parse_qs(urlsplit(out.headers["Location"]).query)
    assert query["post_logout_redirect_uri"] == [f"{BASE_URL}/login"] and query["client_id"] == [
        "outcomes-test"
    ]
    assert db["user_sessions"].count == 0


def test_without_single_sign_on_its_routes_are_not_there(tmp_path, world):
    client = create_app(
        {"TESTING": True, "DATABASE": str(tmp_path / "test.sqlite"), "SECRET_KEY": "t"}
    ).test_client()
    assert client.get("/sso/login").status_code == 404
    assert client.get("/sso/callback?code=x&state=y").status_code == 404
    assert 'id="sso-sign-in"' not in client.get("/login").text
