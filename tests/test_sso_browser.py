"""Single sign-on in real headless Chromium: the provider's own pages (node-oidc-provider on
127.0.0.1), a signed-in practitioner, sign-out at both ends, and refused answers shown as a page."""

from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from conftest import TABLET, LiveServer, sso_config

from outcomes import create_app
from outcomes.db import connect

EMAIL = "slt@test.example"


@pytest.fixture
def sso_server(tmp_path, oidc_provider):
    app = create_app(sso_config(tmp_path, oidc_provider))
    db = connect(app.config["DATABASE"])
    db["users"].insert({"email": EMAIL, "name": "Sally SLT", "role": "practitioner"})
    db.close()
    server = LiveServer(app)
    app.config["BASE_URL"] = server.url  # the callback and post-logout addresses are on this server
    yield server
    server.stop()


@pytest.fixture
def page(browser):
    # No service worker: the tablet's offline app is tested elsewhere, and here the test watches
    # the page's own requests (the provider's answer) rather than the worker's.
    context = browser.new_context(viewport=TABLET, service_workers="block")
    # The provider's development pages ask for a web font; there is no internet here.
    context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    yield context.new_page()
    context.close()


def provider_login(page):
    """Fill in the provider's login page, and its consent page when it asks."""
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", "any password")
    page.click("button:has-text('Sign-in')")
    consent = page.locator("button:has-text('Continue')")
    consent.wait_for()
    consent.click()


def forged_issuer(url):
    parts = urlsplit(url)
    query = dict(parse_qs(parts.query), iss=["http://127.0.0.1:1/not-the-issuer"])
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def answer_with_forged_issuer(page, route):
    """The consent form's answer, followed to the provider's redirect back to the app, whose `iss`
    is then changed (Playwright intercepts only the first request of a redirect chain)."""
    if route.request.method != "POST" or "prompt=consent" not in (route.request.post_data or ""):
        route.continue_()
        return
    consented = route.fetch(max_redirects=0)
    back = page.context.request.get(
        urljoin(route.request.url, consented.headers["location"]), max_redirects=0
    )
    route.fulfill(status=303, headers={"Location": forged_issuer(back.headers["location"])})


def test_practitioner_signs_in_and_out_and_forged_or_replayed_answers_are_refused(page, sso_server):
    callbacks = []
    page.on("request", lambda request: "/sso/callback" in request.url and callbacks.append(request.url))

    page.goto(f"{sso_server.url}/login")
    page.click("#sso-sign-in")
    provider_login(page)
    page.wait_for_url(f"{sso_server.url}/caseload")
    assert page.locator(".who").inner_text().startswith("Sally SLT")

    # Signing out ends the provider's session too (RP-initiated logout), then back to sign-in.
    page.click("button:has-text('Sign out')")
    page.click("button:has-text('Yes, sign me out')")
    page.wait_for_url(f"{sso_server.url}/login?*")  # with the logout's state

    # The answer that signed her in, played again, is refused with a page saying why.
    page.goto(callbacks[0])
    assert "already used" in page.locator("#sso-refused").inner_text()

    # An answer naming another issuer is refused (the provider asks her to sign in again: the
    # sign-out above ended its session).
    page.route("**/interaction/*", lambda route: answer_with_forged_issuer(page, route))
    page.goto(f"{sso_server.url}/login")
    page.click("#sso-sign-in")
    provider_login(page)
    page.locator("#sso-refused").wait_for()
    assert "different issuer" in page.locator("#sso-refused").inner_text()
    page.goto(f"{sso_server.url}/caseload")
    assert urlsplit(page.url).path == "/login"
