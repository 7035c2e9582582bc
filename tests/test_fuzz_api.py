"""Schemathesis against the app's own OpenAPI document, served on 127.0.0.1: generated requests to
every operation, as a signed-in practitioner and with a feed token. No answer is a 5xx, and every
refusal of input (400/422) names the field it is about."""

import re

import pytest
import requests
from conftest import PASSWORD, LiveServer
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")

# Bounded: a few hundred requests in all, well under a minute on a loaded 2-core machine.
EXAMPLES = 60
USER_AGENT = "outcomes-fuzz"


@pytest.fixture
def server(app, world):
    app.config["SESSION_COOKIE_SECURE"] = False  # plain HTTP on the loopback
    live = LiveServer(app)
    yield live
    live.stop()


def practitioner(url):
    """A practitioner's cookie and CSRF header, signed in through the form (the user agent is kept:
    a session is bound to the browser that signed in)."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{url}/login", timeout=30).text)
    session.post(
        f"{url}/login",
        data={"email": "slt@test.example", "password": PASSWORD, "csrf_token": token.group(1)},
        timeout=30,
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{url}/", timeout=30).text)
    return {"X-CSRFToken": token.group(1), "User-Agent": USER_AGENT}, session.cookies.get_dict()


def problems(response):
    """What is wrong with one answer: a 5xx, or a refusal of input that names no field."""
    status = response.status_code
    if status >= 500:
        return f"{status}: {response.text[:300]}"
    if status in (400, 422):
        try:
            errors = response.json().get("errors")
        except ValueError:
            return f"{status} is not JSON: {response.text[:200]}"
        if not isinstance(errors, dict) or not errors or not all(errors.values()):
            return f"{status} names no field: {response.text[:300]}"
    return None


def fuzz(server, headers, cookies):
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    found, statuses = [], set()
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            case.headers = {**(case.headers or {}), **headers}
            case.cookies = {**(case.cookies or {}), **cookies}
            response = case.call(base_url=f"{server.url}/api/v1", timeout=30)
            statuses.add((case.method, response.status_code))
            problem = problems(response)
            if problem:
                found.append(f"{case.method} {case.formatted_path} {case.body!r:.200}: {problem}")

        run()
    return found, statuses


def test_fuzzing_as_a_signed_in_practitioner(server):
    headers, cookies = practitioner(server.url)
    found, statuses = fuzz(server, headers, cookies)
    assert found == [], "\n".join(found[:20])
    # Signed in for real: the generated reviews reached the checks, not the sign-in wall.
    assert ("POST", 422) in statuses and ("POST", 401) not in statuses


def test_fuzzing_with_a_feed_token(server, db):
    from outcomes import tokens

    token = tokens.create_token(db, "fuzz")
    found, statuses = fuzz(server, {"Authorization": f"Bearer {token}"}, {})
    assert found == [], "\n".join(found[:20])
    assert ("GET", 200) in statuses  # the token was accepted for valid queries


def test_a_refused_feed_query_names_each_bad_parameter(client, db, world):
    from outcomes import tokens

    headers = {"Authorization": f"Bearer {tokens.create_token(db, 'names')}"}
    response = client.get("/api/v1/scorecard?period=2025-27&service=nope", headers=headers)
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"period"}
    response = client.get("/api/v1/scorecard?period=2025-26&service=nope", headers=headers)
    assert response.get_json()["errors"] == {
        "service": ["Unknown service 'nope'. Accepted: slt, physio, ot, social."]
    }
