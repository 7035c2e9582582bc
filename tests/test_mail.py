"""Email over a real SMTP server (aiosmtpd on 127.0.0.1): invitations, password links, review notices,
and what the person who asked sees when the server refuses or cannot be reached."""

import re
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from conftest import SPOOL_EACH_REQUEST, Auth, row_counts
from test_api_reviews import review_body
from test_invitations import NEW_PASSWORD, join

from outcomes import create_app
from outcomes.security import hash_secret

BASE_URL = "https://outcomes.example.org"
REFUSED = "refused@test.example"


class Mailbox:
    """An aiosmtpd handler keeping every delivered message; RCPT to REFUSED gets a 550."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def only(self, to):
        """The one message delivered to `to`."""
        found = [message for message in self.messages if message["To"] == to]
        assert len(found) == 1, [m["To"] for m in self.messages]
        return found[0]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def mail_config(tmp_path, port):
    return {
        "TESTING": True,
        "DATABASE": str(tmp_path / "test.sqlite"),
        "SECRET_KEY": "test",
        "BASE_URL": BASE_URL,
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_STARTTLS": False,  # the test server speaks plain SMTP on loopback
        "MAIL_SENDER": "outcomes@council.example",
        **SPOOL_EACH_REQUEST,
    }


@pytest.fixture
def app(tmp_path, mailbox):
    return create_app(mail_config(tmp_path, mailbox.port))


def parts(message):
    """(plain text, html) of a message, checking it has both."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def path_of(link):
    assert link.startswith(BASE_URL + "/"), link
    return link[len(BASE_URL) :]


def make_invitation(client, auth, child_id):
    auth.login("slt@test.example")
    page = client.post(
        f"/children/{child_id}/invitations", data={"csrf_token": auth.csrf(f"/children/{child_id}")}
    )
    return re.search(r'id="invitation-code">([A-Z0-9-]+)<', page.text).group(1), page


def email_invitation(client, auth, child_id, code, email):
    return client.post(
        f"/children/{child_id}/invitations/email",
        data={"code": code, "email": email, "csrf_token": auth.headers()["X-CSRFToken"]},
    )


def test_invitation_is_received_and_redeemed(client, auth, world, db, mailbox):
    code, page = make_invitation(client, auth, world.bob)
    assert "Email the invitation" in page.text
    sent = email_invitation(client, auth, world.bob, code, "bob.parent@test.example")
    assert sent.status_code == 200
    assert "The invitation was emailed to bob.parent@test.example" in sent.text
    assert code in sent.text  # still on screen, to print as well

    message = mailbox.only("bob.parent@test.example")
    assert message["From"] == "outcomes@council.example"
    assert "Bob" not in message["Subject"] and "Brown" not in message["Subject"]
    text, html = parts(message)
    assert code in text and code in html
    link = re.search(r"https://\S+", text).group(0)
    assert f'href="{link}"' in html

    auth.logout()
    landing = client.get(path_of(link))
    assert landing.status_code == 303
    assert code in client.get("/family/join").text  # the code came with the link
    joined = join(client, auth, code, email="bob.parent@test.example")
    assert joined.status_code == 302
    parent = db.execute("SELECT id FROM users WHERE email = 'bob.parent@test.example'").fetchone()[0]
    assert (
        db.execute("SELECT child_id FROM family_links WHERE user_id = ?", [parent]).fetchone()[0] == world.bob
    )
    assert ("email invitation",) in db.execute(
        "SELECT action FROM audit_log WHERE child_id = ?", [world.bob]
    ).fetchall()


def test_a_refused_address_is_reported_and_the_invitation_kept(client, auth, world, db, mailbox):
    code, _ = make_invitation(client, auth, world.bob)
    before = row_counts(db)
    refused = email_invitation(client, auth, world.bob, code, REFUSED)
    assert refused.status_code == 422
    assert f"The mail server refused the address {REFUSED}" in refused.text
    assert 'id="email-error"' in refused.text
    assert code in refused.text  # not lost: still shown, and the form sends it again
    assert row_counts(db) == before
    assert mailbox.messages == []
    again = email_invitation(client, auth, world.bob, code, "bob.parent@test.example")
    assert again.status_code == 200 and len(mailbox.messages) == 1


def test_a_bad_address_or_a_stale_code_is_refused_without_sending(client, auth, world, db, mailbox):
    code, _ = make_invitation(client, auth, world.bob)
    before = row_counts(db)
    bad = email_invitation(client, auth, world.bob, code, "not an address")
    assert bad.status_code == 422 and "Enter an email address" in bad.text
    # A code for another child, or one made up, opens nothing.
    assert email_invitation(client, auth, world.amy, code, "a@test.example").status_code == 400
    assert email_invitation(client, auth, world.bob, "AAAA-BBBB", "a@test.example").status_code == 400
    assert row_counts(db) == before and mailbox.messages == []


def test_unreachable_server_is_reported_and_nothing_is_lost(tmp_path, world, db):
    app = create_app(mail_config(tmp_path, free_port()))  # nothing listens there
    client = app.test_client()
    auth = Auth(client)
    code, _ = make_invitation(client, auth, world.bob)
    failed = email_invitation(client, auth, world.bob, code, "bob.parent@test.example")
    assert failed.status_code == 422
    assert "The mail server could not be reached" in failed.text and code in failed.text
    assert db.execute("SELECT used_at FROM invitations").fetchone()[0] is None

    auth.logout()
    auth.login("admin@test.example")
    page = client.post(f"/admin/people/{world.physio}/reset", data={"csrf_token": auth.csrf("/admin/people")})
    assert page.status_code == 200
    assert "The email was not sent" in page.text and "could not be reached" in page.text
    link = re.search(r'id="reset-link" href="([^"]+)"', page.text).group(1)
    assert client.get(path_of(link)).status_code == 303  # the link shown still works


def set_password(client, auth, link, password):
    client.get(path_of(link))
    return client.post(
        "/reset-password",
        data={"password": password, "confirm": password, "csrf_token": auth.csrf("/reset-password")},
    )


def test_reset_link_is_received_and_works_once(client, auth, world, db, mailbox):
    auth.login("admin@test.example")
    page = client.post(f"/admin/people/{world.physio}/reset", data={"csrf_token": auth.csrf("/admin/people")})
    assert page.status_code == 200
    assert "was emailed to physio@test.example" in page.text
    assert "/reset-password/" not in page.text  # the admin never sees the link
    auth.logout()

    text, html = parts(mailbox.only("physio@test.example"))
    link = re.search(r"https://\S+/reset-password/\S+", text).group(0)
    assert link in html
    token = link.rsplit("/", 1)[1]
    assert (
        db.execute(
            "SELECT count(*) FROM password_resets WHERE token_hash = ?", [hash_secret(token)]
        ).fetchone()[0]
        == 1
    )
    assert set_password(client, auth, link, NEW_PASSWORD).status_code == 302
    assert auth.login("physio@test.example", NEW_PASSWORD).status_code == 302
    auth.logout()
    assert client.get(path_of(link)).status_code == 404  # used once


def test_new_staff_get_their_first_password_link_by_email(client, auth, world, db, mailbox):
    auth.login("admin@test.example")
    page = client.post(
        "/admin/people/new",
        data={
            "email": "nel@test.example",
            "name": "Nel New",
            "role": "manager",
            "csrf_token": auth.csrf("/admin/people/new"),
        },
    )
    assert page.status_code == 200 and "was emailed to nel@test.example" in page.text
    message = mailbox.only("nel@test.example")
    assert message["Subject"] == "Set your password for the outcomes tracker"
    assert "An account has been made for you" in parts(message)[0]


def test_cli_emails_the_password_link(app, world, mailbox):
    result = app.test_cli_runner().invoke(args=["password-link", "slt@test.example"])
    assert result.exit_code == 0, result.output
    assert "Emailed a one-time link" in result.output and "/reset-password/" not in result.output
    assert BASE_URL + "/reset-password/" in parts(mailbox.only("slt@test.example"))[0]


def test_family_who_opted_in_hear_of_a_new_review(client, auth, world, db, mailbox):
    auth.login("family@test.example")
    assert 'name="review_notices"' in client.get("/family/notices").text
    before = row_counts(db)
    bad = client.post(
        "/family/notices", data={"review_notices": "perhaps", "csrf_token": auth.csrf("/family/notices")}
    )
    assert bad.status_code == 422 and "Tick the box" in bad.text and row_counts(db) == before
    saved = client.post(
        "/family/notices", data={"review_notices": "yes", "csrf_token": auth.csrf("/family/notices")}
    )
    assert saved.status_code == 302
    auth.logout()

    auth.login("slt@test.example")
    draft = review_body(world.amy, submit=False)
    assert client.post("/api/v1/reviews", json=draft, headers=auth.headers()).status_code == 201
    assert mailbox.messages == []  # a draft is not published
    published = client.post("/api/v1/reviews", json=dict(draft, submit=True), headers=auth.headers())
    assert published.status_code == 200
    message = mailbox.only("family@test.example")
    assert "Amy" not in message["Subject"] and "Able" not in message["Subject"]
    text, _ = parts(message)
    assert f"{BASE_URL}/family/children/{world.amy}" in text
    # The same review sent again is not news.
    client.post("/api/v1/reviews", json=dict(draft, submit=True), headers=auth.headers())
    assert len(mailbox.messages) == 1


def test_no_notice_without_opting_in(client, auth, world, mailbox):
    auth.login("slt@test.example")
    assert (
        client.post("/api/v1/reviews", json=review_body(world.amy), headers=auth.headers()).status_code == 201
    )
    assert mailbox.messages == []


def test_without_a_mail_server_links_are_shown_as_before(tmp_path, world):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "test.sqlite"), "SECRET_KEY": "test"})
    client = app.test_client()
    auth = Auth(client)
    _, page = make_invitation(client, auth, world.bob)
    assert "Email the invitation" not in page.text
    auth.logout()
    auth.login("admin@test.example")
    page = client.post(f"/admin/people/{world.physio}/reset", data={"csrf_token": auth.csrf("/admin/people")})
    assert 'id="reset-link"' in page.text and "The email was not sent" not in page.text


def test_no_plain_text_fallback_when_starttls_is_asked_for(tmp_path, world, db, mailbox):
    app = create_app(dict(mail_config(tmp_path, mailbox.port), MAIL_STARTTLS=True))
    result = app.test_cli_runner().invoke(args=["password-link", "slt@test.example"])
    assert "does not offer STARTTLS" in result.output
    assert "/reset-password/" in result.output  # printed instead, to pass on by hand
    assert mailbox.messages == []
