"""Sessions that end, sign-in that cannot be abused, passwords, and where sign-in sends you next."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from conftest import PASSWORD, Auth, row_counts

from outcomes import create_app, passwords, sessions, users
from outcomes.db import write_transaction


def copy_of_cookie(app, client):
    """A second browser holding a copy of `client`'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_in(client):
    return client.get("/caseload").status_code == 200


# --- Sessions end -----------------------------------------------------------------------------


def test_a_copied_cookie_stops_working_after_sign_out(app, client, auth, world):
    auth.login("slt@test.example")
    thief = copy_of_cookie(app, client)
    assert signed_in(thief)
    auth.logout()
    assert not signed_in(thief)


def test_a_new_password_ends_every_session(app, client, auth, world, db):
    auth.login("slt@test.example")
    thief = copy_of_cookie(app, client)
    token = users.create_reset(db, world.slt)
    other = app.test_client()
    other_auth = Auth(other)
    page = other.post(
        f"/reset-password/{token}",
        data={
            "password": "a new long passphrase",
            "confirm": "a new long passphrase",
            "csrf_token": other_auth.csrf(),
        },
    )
    assert page.status_code == 302
    assert not signed_in(thief) and not signed_in(client)


def test_deactivating_ends_sessions_and_reactivating_does_not_revive_them(app, client, auth, world, db):
    auth.login("slt@test.example")
    thief = copy_of_cookie(app, client)
    users.set_active(db, world.slt, False, world.admin)
    users.set_active(db, world.slt, True, world.admin)
    assert not signed_in(thief) and not signed_in(client)


def test_admin_signs_a_person_out_everywhere(app, client, auth, world, db):
    tablet, phone = app.test_client(), app.test_client()
    Auth(tablet).login("slt@test.example"), Auth(phone).login("slt@test.example")
    auth.login("admin@test.example")
    page = client.get(f"/admin/people/{world.slt}")
    assert "Sign Sally SLT out everywhere" in page.text
    done = client.post(f"/admin/people/{world.slt}/sign-out", data={"csrf_token": auth.csrf("/admin/")})
    assert done.status_code == 302
    assert "2 sessions ended" in client.get(done.location).text
    assert not signed_in(tablet) and not signed_in(phone)
    assert client.get("/admin/").status_code == 200  # the admin's own session goes on


def test_sign_out_everywhere_command(app, client, auth, runner, world):
    auth.login("slt@test.example")
    result = runner.invoke(args=["sign-out-everywhere", "slt@test.example"])
    assert result.exit_code == 0 and "1 session ended" in result.output
    assert not signed_in(client)
    assert runner.invoke(args=["sign-out-everywhere", "nobody@test.example"]).exit_code != 0


def test_staff_sessions_end_after_30_idle_minutes_or_12_hours(db, world):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    idle = sessions.start(db, world.slt, now=start)
    assert sessions.resume(db, idle, now=start + timedelta(minutes=29))["id"] == world.slt
    assert sessions.resume(db, idle, now=start + timedelta(minutes=29 + 31)) is None
    busy = sessions.start(db, world.slt, now=start)
    moment = start
    while moment + timedelta(minutes=20) < start + timedelta(hours=12):
        moment += timedelta(minutes=20)
        assert sessions.resume(db, busy, now=moment) is not None, moment
    assert sessions.resume(db, busy, now=start + timedelta(hours=12)) is None


def test_family_sessions_last_longer(db, world):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    token = sessions.start(db, world.family, now=start)
    assert sessions.resume(db, token, now=start + timedelta(days=3))["id"] == world.family
    assert sessions.resume(db, token, now=start + timedelta(days=3 + 15)) is None


def test_the_cookie_holds_a_session_token_not_the_account_id(client, auth, world):
    auth.login("slt@test.example")
    with client.session_transaction() as session:
        assert session["_user_id"] != str(world.slt) and len(session["_user_id"]) > 30


def test_a_forged_forwarded_for_header_is_not_trusted(client, auth, world, db):
    # With no trusted proxy, X-Forwarded-For is the client's own claim: a new one per attempt
    # must not escape the per-address throttle, which counts the real address.
    for n in range(3):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{n}"
        assert auth.login(f"person{n}@test.example", "wrong password").status_code == 422
    assert {row[0] for row in db.execute("SELECT address FROM sign_in_failures")} == {"127.0.0.1"}


# --- Sign-in throttle: growing delays, never a lock a stranger can trigger -------------------------


def test_failures_make_the_next_attempt_wait_longer_each_time(db, world):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    for _ in range(5):
        assert users.authenticate(db, "family@test.example", "nope", start, "192.0.2.1") is None
    with pytest.raises(users.TooManyAttempts) as first:
        users.authenticate(db, "family@test.example", PASSWORD, start, "192.0.2.1")
    later = start + timedelta(seconds=first.value.seconds)
    assert users.authenticate(db, "family@test.example", "nope", later, "192.0.2.1") is None
    with pytest.raises(users.TooManyAttempts) as second:
        users.authenticate(db, "family@test.example", PASSWORD, later, "192.0.2.1")
    assert second.value.seconds > first.value.seconds
    after = later + timedelta(seconds=second.value.seconds)
    assert users.authenticate(db, "family@test.example", PASSWORD, after, "192.0.2.1")["id"] == world.family


def guess(db, email, moment, address, password="a guess"):
    """One attempt, made as soon as the throttle allows; returns when it was made."""
    try:
        users.authenticate(db, email, password, moment, address)
    except users.TooManyAttempts as wait:
        moment += timedelta(seconds=wait.seconds)
        users.authenticate(db, email, password, moment, address)
    return moment


def test_a_stranger_cannot_lock_an_admin_out(db, world):
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    for _ in range(40):
        moment = guess(db, "admin@test.example", moment, "203.0.113.9")
    # A minute after the stranger's last try, the admin signs in from their own address.
    back = moment + timedelta(seconds=61)
    assert users.authenticate(db, "admin@test.example", PASSWORD, back, "192.0.2.20")["id"] == world.admin
    # The stranger's address is made to wait longer and longer.
    with pytest.raises(users.TooManyAttempts) as wait:
        users.authenticate(db, "slt@test.example", PASSWORD, back, "203.0.113.9")
    assert wait.value.seconds > 600


def test_one_address_guessing_many_accounts_is_slowed(db, world):
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    for n in range(users.ADDRESS_FREE_FAILURES):
        moment = guess(db, f"guess{n}@test.example", moment, "203.0.113.5")
    with pytest.raises(users.TooManyAttempts):
        users.authenticate(db, "family@test.example", PASSWORD, moment, "203.0.113.5")
    assert users.authenticate(db, "family@test.example", PASSWORD, moment, "192.0.2.1")["id"] == world.family


def test_throttled_sign_in_answers_429_with_retry_after_and_a_clear_message(client, auth, world, db):
    for _ in range(5):
        assert auth.login("family@test.example", "wrong password").status_code == 422
    for _ in range(5):  # five more just now, so the wait outlasts a slow test machine
        users.record_failure(db, "family@test.example", "192.0.2.9")
    page = auth.login("family@test.example")
    assert page.status_code == 429
    assert int(page.headers["Retry-After"]) >= 1
    assert re.search(r"Too many failed attempts\. Wait \d+ seconds", page.text)


def test_throttle_pages_do_not_reveal_whether_the_account_exists(client, auth, world, db):
    def refused(email):
        page = auth.login(email, "wrong password")
        return page.status_code, re.sub(r'value="[^"]*"', "", page.text)

    for attempt in range(users.ACCOUNT_FREE_FAILURES):
        assert refused("family@test.example") == refused("nobody@test.example"), attempt
    # The waits that follow are the same for both (on an injected clock, as page timing varies):
    # the real-time failures above are cleared first, or their seconds would differ.
    with write_transaction(db):
        db.execute("DELETE FROM sign_in_failures")
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    waits = []
    for email in ("family@test.example", "nobody@test.example"):
        for _ in range(users.ACCOUNT_FREE_FAILURES + 1):
            users.record_failure(db, email, "192.0.2.200", start)
        with pytest.raises(users.TooManyAttempts) as wait:
            users.check_throttle(db, email, "", start)
        waits.append(wait.value.message)
    assert waits[0] == waits[1]


def test_unknown_emails_cost_a_password_check_too(db, world, monkeypatch):
    checked = []
    real = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    users.authenticate(db, "nobody@test.example", "a guess", address="192.0.2.1")
    users.authenticate(db, "family@test.example", "a guess", address="192.0.2.1")
    assert len(checked) == 2 and checked[0] != checked[1]


# --- Passwords --------------------------------------------------------------------------------

WEAK = {
    "ten spaces": " " * 10,
    "common with digits": "password12",
    "common": "qwertyuiop",
    "own email": "slt@test.example",
    "own name": "Sally SLT forever",
    "one character": "aaaaaaaaaaaa",
}


@pytest.mark.parametrize("label", WEAK)
def test_a_weak_password_link_is_refused_naming_the_field(client, auth, world, db, label):
    token = users.create_reset(db, world.slt)
    before = row_counts(db)
    weak = WEAK[label]
    page = client.post(
        f"/reset-password/{token}", data={"password": weak, "confirm": weak, "csrf_token": auth.csrf()}
    )
    assert page.status_code == 422
    assert re.search(r"at least 10 characters|most common|your name or email", page.text)
    assert row_counts(db) == before


def test_a_long_uncommon_password_is_accepted():
    assert passwords.problem("correct horse battery", "Sally SLT", "slt@test.example") is None


def test_the_common_password_list_is_shipped_with_its_source():
    listed = passwords.common_passwords()
    assert len(listed) >= 30000 and "password" in listed and "123456" in listed
    assert "zxcvbn" in passwords.LIST_FILE.read_text().splitlines()[0]


# --- Where sign-in sends you next -----------------------------------------------------------

CROSS_SITE = [
    "//evil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "https://evil.example/",
    "/x%0d%0aSet-Cookie:%20a=b",
    "/x\r\nSet-Cookie: a=b",
    "evil.example",
]


@pytest.mark.parametrize("target", CROSS_SITE)
def test_next_only_ever_leads_to_a_path_on_this_site(client, auth, world, target):
    page = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "slt@test.example", "password": PASSWORD, "csrf_token": auth.csrf()},
    )
    assert page.status_code == 302
    assert page.location == "/caseload"


def test_next_keeps_a_same_site_path(client, auth, world):
    page = client.post(
        "/login?next=/children/1%3Fservice%3Dslt",
        data={"email": "slt@test.example", "password": PASSWORD, "csrf_token": auth.csrf()},
    )
    assert page.location == "/children/1?service=slt"


# --- Proxies, HTTPS and CSRF ------------------------------------------------------------------


def test_hsts_over_https_only(client, world):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://tracker.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_behind_a_trusted_tls_proxy_links_are_https_with_the_public_host(app, world):
    proxied_app = create_app(
        {"TESTING": True, "DATABASE": app.config["DATABASE"], "SECRET_KEY": "t", "TRUSTED_PROXY_HOPS": 1}
    )
    proxied = proxied_app.test_client()
    proxied.environ_base.update(
        {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "tracker.example"}
    )
    assert proxied.get("/login").headers["Strict-Transport-Security"]
    proxy_auth = Auth(proxied)
    proxy_auth.login("admin@test.example")
    made = proxied.post(
        "/admin/people/new",
        data={
            "email": "new@test.example",
            "name": "New Person",
            "role": "practitioner",
            "csrf_token": proxy_auth.csrf("/admin/"),
        },
    )
    assert re.search(r'href="https://tracker\.example/reset-password', made.text)


def test_csrf_is_required_when_a_session_cookie_rides_with_a_bearer_header(client, auth, world):
    auth.login("slt@test.example")
    page = client.post("/logout", headers={"Authorization": "Bearer anything"})
    assert page.status_code == 400
    assert signed_in(client)


# --- Tokens stay out of addresses ---------------------------------------------------------------


def test_a_password_link_trades_its_token_for_a_token_free_page(client, auth, world, db):
    token = users.create_reset(db, world.slt)
    first = client.get(f"/reset-password/{token}")
    assert first.status_code == 303 and first.location == "/reset-password"
    page = client.get("/reset-password")
    assert page.status_code == 200 and token not in page.text and "Sally SLT" in page.text
    done = client.post(
        "/reset-password",
        data={
            "password": "a new long passphrase",
            "confirm": "a new long passphrase",
            "csrf_token": auth.csrf(),
        },
    )
    assert done.status_code == 302
    assert auth.login("slt@test.example", "a new long passphrase").status_code == 302


def test_the_token_free_page_needs_a_link_first(client):
    assert client.get("/reset-password").status_code == 404


def test_an_invitation_link_trades_its_code_for_a_code_free_page(client, world, db):
    from outcomes import family

    code, _ = family.create_invitation(db, world.bob, world.slt)
    first = client.get("/family/join", query_string={"code": code})
    assert first.status_code == 303 and first.location == "/family/join"
    assert f'value="{code}"' in client.get("/family/join").text


def test_dead_sessions_and_old_failures_are_not_kept(db, world):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    sessions.start(db, world.slt, now=start)
    users.record_failure(db, "slt@test.example", "192.0.2.1", now=start)
    month_later = start + timedelta(days=30)
    sessions.start(db, world.slt, now=month_later)
    users.record_failure(db, "slt@test.example", "192.0.2.1", now=month_later)
    assert db["user_sessions"].count == 1 and db["sign_in_failures"].count == 1


def test_wrong_invitation_codes_slow_the_address_down(db, world):
    from marshmallow import ValidationError

    from outcomes import family

    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    data = {"code": "ABCD-EFGH-JKMN-PQRS", "name": "Guess", "email": "g@test.example", "password": "x" * 12}
    for _ in range(users.ADDRESS_FREE_FAILURES):
        with pytest.raises(ValidationError):
            family.redeem(db, data, now=start, address="203.0.113.3")
    with pytest.raises(users.TooManyAttempts):
        family.redeem(db, data, now=start, address="203.0.113.3")
    with pytest.raises(ValidationError):  # another address is not held up
        family.redeem(db, data, now=start, address="192.0.2.3")
