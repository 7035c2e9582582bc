"""Inviting a parent or carer: a one-time code, valid 7 days, single use, stored hashed."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from conftest import PASSWORD, row_counts
from marshmallow import ValidationError

from outcomes import family
from outcomes.security import hash_secret

NEW_PASSWORD = "a long family password"


def invite(client, auth, child_id, email="slt@test.example"):
    """Sign in as staff, press the button on the child's page, and read the code off the page."""
    auth.login(email)
    page = client.post(
        f"/children/{child_id}/invitations", data={"csrf_token": auth.csrf(f"/children/{child_id}")}
    )
    assert page.status_code == 200
    code = re.search(r'id="invitation-code">([A-Z0-9-]+)<', page.text).group(1)
    auth.logout()
    return code, page


def counts_but_throttle(db):
    """Row counts, leaving out the throttle's record of failed attempts (a wrong code is one)."""
    counts = row_counts(db)
    counts.pop("sign_in_failures")
    return counts


def join(
    client,
    auth,
    code,
    email="new.parent@test.example",
    name="Nia Parent",
    password=NEW_PASSWORD,
    confirm=None,
):
    return client.post(
        "/family/join",
        data={
            "code": code,
            "name": name,
            "email": email,
            "password": password,
            "confirm": password if confirm is None else confirm,
            "csrf_token": auth.csrf("/family/join"),
        },
    )


def test_child_page_has_the_invite_button_for_her_practitioner(client, auth, world):
    auth.login("slt@test.example")
    page = client.get(f"/children/{world.amy}")
    assert "Invite a parent or carer" in page.text
    assert f'action="/children/{world.amy}/invitations"' in page.text


def test_code_is_shown_once_and_only_its_hash_is_stored(client, auth, world, db):
    code, page = invite(client, auth, world.bob)
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    assert f"/family/join?code={code}" in page.text  # the link to hand over
    assert "shown only once" in page.text
    row = db.execute(
        "SELECT child_id, code_hash, created_at, expires_at, used_at FROM invitations"
    ).fetchone()
    assert row[0] == world.bob and row[4] is None
    assert row[1] == hash_secret(code.replace("-", "")) and code.replace("-", "") not in str(row)
    made, expires = (datetime.fromisoformat(value) for value in row[2:4])
    assert expires - made == timedelta(days=7)
    assert (
        db.execute(
            "SELECT action FROM audit_log WHERE child_id = ? AND action != 'view caseload' ORDER BY id DESC",
            [world.bob],
        ).fetchone()[0]
        == "invite family"
    )


def test_parent_sets_a_password_and_sees_the_child(client, auth, world, db):
    code, _ = invite(client, auth, world.bob)
    joined = join(client, auth, code.lower().replace("-", " "))  # typed casually on a phone
    assert joined.status_code == 302
    user = db.execute("SELECT id, role, name FROM users WHERE email = 'new.parent@test.example'").fetchone()
    assert user[1:] == ("family", "Nia Parent")
    assert db.execute("SELECT child_id FROM family_links WHERE user_id = ?", [user[0]]).fetchall() == [
        (world.bob,)
    ]
    assert db.execute("SELECT used_by FROM invitations").fetchone()[0] == user[0]
    home = client.get(joined.location, follow_redirects=True)
    assert "Bob Brown" in home.text and "Amy Able" not in home.text
    # And the new password works from the sign-in page too.
    auth.logout()
    assert auth.login("new.parent@test.example", NEW_PASSWORD).status_code == 302


def test_used_code_is_refused_and_creates_nothing(client, auth, world, db):
    code, _ = invite(client, auth, world.bob)
    assert join(client, auth, code).status_code == 302
    auth.logout()
    before = counts_but_throttle(db)
    again = join(client, auth, code, email="someone.else@test.example")
    assert again.status_code == 422
    assert "already been used" in again.text
    assert counts_but_throttle(db) == before


def test_expired_code_is_refused_and_creates_nothing(client, auth, world, db):
    eight_days_ago = datetime.now(timezone.utc) - timedelta(days=8)
    code, _ = family.create_invitation(db, world.bob, world.slt, now=eight_days_ago)
    before = counts_but_throttle(db)
    page = join(client, auth, code)
    assert page.status_code == 422
    assert "expired" in page.text and "7 days" in page.text
    assert counts_but_throttle(db) == before


def test_code_still_works_on_its_last_day(db, world):
    six_days_ago = datetime.now(timezone.utc) - timedelta(days=6, hours=23)
    code, _ = family.create_invitation(db, world.bob, world.slt, now=six_days_ago)
    assert family.check_code(db, code)["child_id"] == world.bob


@pytest.mark.parametrize("code", ["ABCD-EFGH-JKMN-PQRS", "", "   ", "x" * 99])
def test_wrong_code_is_refused_and_creates_nothing(client, auth, world, db, code):
    family.create_invitation(db, world.bob, world.slt)
    before = counts_but_throttle(db)
    page = join(client, auth, code)
    assert page.status_code == 422
    assert "Invitation code" in page.text  # the error summary names the field
    assert "invitation code" in page.text.lower()
    assert counts_but_throttle(db) == before


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("password", {"password": "short"}, "Use at least 10 characters."),
        ("confirm", {"confirm": "a different long password"}, "The two passwords are different."),
        ("email", {"email": "not-an-email"}, "Enter an email address"),
        ("name", {"name": ""}, "Enter your name"),
    ],
)
def test_bad_account_details_name_the_field_and_keep_the_code(
    client, auth, world, db, field, changes, message
):
    code, _ = family.create_invitation(db, world.bob, world.slt)
    before = row_counts(db)
    values = {"email": "new.parent@test.example", "name": "Nia Parent", "password": NEW_PASSWORD}
    values.update({key: value for key, value in changes.items() if key != "confirm"})
    page = join(client, auth, code, confirm=changes.get("confirm"), **values)
    assert page.status_code == 422
    assert message in page.text and f'id="{field}-error"' in page.text
    assert row_counts(db) == before
    assert family.check_code(db, code)  # still usable once the parent corrects the form


def test_existing_family_account_adds_the_child_with_its_password(client, auth, world, db):
    code, _ = family.create_invitation(db, world.bob, world.slt)
    joined = join(client, auth, code, email="FAMILY@test.example", name="Pat", password=PASSWORD)
    assert joined.status_code == 302
    assert {
        row[0] for row in db.execute("SELECT child_id FROM family_links WHERE user_id = ?", [world.family])
    } == {world.amy, world.bob}
    assert db["users"].count == 5  # no second account


@pytest.mark.parametrize("email", ["family@test.example", "slt@test.example"])
def test_existing_account_without_its_password_is_refused(client, auth, world, db, email):
    code, _ = family.create_invitation(db, world.bob, world.slt)
    password = (
        "not the right password" if email.startswith("family") else PASSWORD
    )  # staff: right password, wrong kind
    before = row_counts(db)
    page = join(client, auth, code, email=email, password=password)
    assert page.status_code == 422
    assert "cannot be used together" in page.text
    assert "already has an account" not in page.text  # the words do not say whether it exists
    after = row_counts(db)
    # A wrong password counts towards the throttle.
    after.pop("sign_in_failures"), before.pop("sign_in_failures")
    assert after == before
    assert db.execute("SELECT count(*) FROM family_links WHERE child_id = ?", [world.bob]).fetchone()[0] == 0


def test_only_staff_who_review_the_child_may_invite(client, auth, world, db):
    auth.login("physio@test.example")  # physio sees Cat and Amy, not Bob
    token = auth.csrf("/caseload")
    assert client.post(f"/children/{world.bob}/invitations", data={"csrf_token": token}).status_code == 404
    auth.logout()
    auth.login("family@test.example")
    token = auth.csrf("/family/")
    assert client.post(f"/children/{world.amy}/invitations", data={"csrf_token": token}).status_code == 403
    auth.logout()
    assert db["invitations"].count == 0
    code, _ = invite(client, auth, world.cat, email="admin@test.example")
    assert code


def test_invite_needs_the_csrf_token(client, auth, world, db):
    auth.login("slt@test.example")
    assert client.post(f"/children/{world.amy}/invitations", data={}).status_code == 400
    assert db["invitations"].count == 0


def test_two_redemptions_of_one_code_make_one_account(db, world):
    from outcomes.schemas import InvitationAcceptSchema

    code, _ = family.create_invitation(db, world.bob, world.slt)
    body = {
        "code": code,
        "name": "A",
        "email": "a@test.example",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    family.redeem(db, InvitationAcceptSchema().load(body))
    with pytest.raises(ValidationError) as refused:
        family.redeem(db, InvitationAcceptSchema().load(dict(body, email="b@test.example")))
    assert refused.value.messages == {"code": [family.USED_CODE]}
    assert db.execute("SELECT count(*) FROM users WHERE role = 'family'").fetchone()[0] == 2  # Pat + A
