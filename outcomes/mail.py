"""Email over SMTP, the one home for sending mail: invitations, password links, review notices.

Every message has a plain-text and an HTML part, rendered from templates/mail/<name>.txt and
.html, and never a child's name in its subject (subjects show on lock screens and in shared
inboxes). With no MAIL_HOST configured nothing is sent and the screens show links as before.
"""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template, url_for


class NotSent(Exception):
    """The mail server could not take the message; `message` says why, for the person who asked."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def configured():
    """True when a mail server is configured, so links go by email rather than on screen."""
    return bool(current_app.config.get("MAIL_HOST"))


def absolute_url(endpoint, **values):
    """A link for an email or the CLI: built on BASE_URL when set (the address people use, which a
    request behind a proxy or a command run on the server cannot know), else on this request."""
    base = current_app.config.get("BASE_URL")
    if base:
        with current_app.test_request_context(base_url=base):
            return url_for(endpoint, _external=True, **values)
    return url_for(endpoint, _external=True, **values)


def compose(to, subject, template, **context):
    """The message, both parts rendered from templates/mail/<template>.txt and .html."""
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config.get("MAIL_SENDER") or f"outcomes@{config['MAIL_HOST']}"
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="outcomes.local")
    message.set_content(render_template(f"mail/{template}.txt", **context))
    message.add_alternative(render_template(f"mail/{template}.html", **context), subtype="html")
    return message


def send(to, subject, template, **context):
    """Send one message now; raises NotSent with a message a person can act on."""
    message = compose(to, subject, template, **context)
    try:
        _deliver(message)
    except smtplib.SMTPRecipientsRefused as error:
        raise NotSent(f"The mail server refused the address {to}. Check it and try again.") from error
    except smtplib.SMTPNotSupportedError as error:
        # Never fall back to plain text: credentials and links would cross the network readable.
        raise NotSent(
            "The mail server does not offer STARTTLS, so nothing was sent. Ask your administrator."
        ) from error
    except smtplib.SMTPAuthenticationError as error:
        raise NotSent("The mail server refused this app's sign-in. Ask your administrator.") from error
    except smtplib.SMTPException as error:
        raise NotSent("The mail server refused the message. Try again later.") from error
    except (OSError, ssl.SSLError) as error:
        raise NotSent("The mail server could not be reached. Try again later.") from error
    current_app.logger.info("mail sent: %s", template)


def _deliver(message):
    config = current_app.config
    timeout = float(config.get("MAIL_TIMEOUT", 10))
    with smtplib.SMTP(config["MAIL_HOST"], int(config.get("MAIL_PORT", 587)), timeout=timeout) as smtp:
        if config.get("MAIL_STARTTLS", True):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        smtp.send_message(message)


# --- The messages the app sends -------------------------------------------------------------


def send_invitation(to, code, link, expires_at):
    send(
        to,
        "Your invitation to see your child's star",
        "invitation",
        code=code,
        link=link,
        expires_at=expires_at,
    )


def send_password_link(person, link, new):
    subject = "Set your password for the outcomes tracker" if new else "Your link to set a new password"
    send(person["email"], subject, "password_link", person=person, link=link, new=new)


def send_review_notices(recipients, child, link):
    """A notice to each opted-in parent; returns how many could not be sent (the practitioner who
    submitted the review did not ask for these, so a failure is logged rather than shown)."""
    failed = 0
    for person in recipients:
        try:
            send(
                person["email"],
                "A new review is on your child's page",
                "review_notice",
                person=person,
                child=child,
                link=link,
            )
        except NotSent as error:
            failed += 1
            current_app.logger.warning("review notice to user %s not sent: %s", person["id"], error.message)
    return failed


def notify_new_review(db, before, review):
    """After a review is saved: if it was just published (new, or a draft now submitted), email
    the child's parents who opted in. `before` is the row under its UUID before saving, or None."""
    from . import children, family

    newly_published = review["status"] == "submitted" and (before is None or before["status"] == "draft")
    if not (newly_published and configured()):
        return 0
    recipients = family.review_notice_recipients(db, review["child_id"])
    if not recipients:
        return 0
    child = children.get_child(db, review["child_id"])
    link = absolute_url("family.child", child_id=review["child_id"])
    return send_review_notices(recipients, child, link)
