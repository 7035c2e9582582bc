"""Words people read: dates the UK way (ISO for machines), role names in plain words, plurals,
and one message per error."""

import re
from datetime import date

from conftest import PASSWORD

from outcomes import wording
from outcomes.views.auth import SIGN_IN_REFUSED


def test_dates_read_the_uk_way_and_carry_iso_for_machines():
    assert str(wording.uk_date("2026-05-26")) == '<time datetime="2026-05-26">26 May 2026</time>'
    assert str(wording.uk_date(date(2026, 1, 3))) == '<time datetime="2026-01-03">3 January 2026</time>'
    assert wording.uk_date_text("2026-11-20T09:15:00Z") == "20 November 2026"
    assert wording.uk_date_text(None) == "–" and wording.uk_date_text("", "Draft") == "Draft"
    assert str(wording.uk_datetime("2026-11-20T09:15:03.120Z")).endswith(
        ">20 November 2026, 09:15 UTC</time>"
    )


def test_role_names_and_plurals_in_plain_words():
    assert wording.role_title("practitioner", ["Physiotherapy"]) == "Practitioner, Physiotherapy"
    assert wording.role_title("manager", ["Occupational therapy", "Physiotherapy"]) == (
        "Service manager, Occupational therapy, Physiotherapy"
    )
    assert wording.role_title("family") == "Parent or carer" and wording.role_title("admin") == "Admin"
    assert wording.plural(1, "earlier outcome") == "1 earlier outcome"
    assert wording.plural(3, "earlier outcome") == "3 earlier outcomes"


def test_pages_show_uk_dates_and_the_header_says_the_role_by_service(client, auth, world, db):
    auth.login("slt@test.example")
    page = client.get(f"/children/{world.amy}").text
    # Amy was born on 2016-05-01 (tests/conftest.py).
    assert 'Born <time datetime="2016-05-01">1 May 2016</time>' in page
    assert "2016-05-01<" not in page
    service = db.execute("SELECT name FROM services WHERE key = 'slt'").fetchone()[0]
    assert f'Sally SLT <span class="role">(Practitioner, {service})</span>' in page
    auth.logout()
    auth.login("family@test.example")
    assert '<span class="role">(Parent or carer)</span>' in client.get("/family/", follow_redirects=True).text


def test_a_refused_sign_in_says_so_once(client, auth, world):
    page = client.post(
        "/login", data={"email": "slt@test.example", "password": PASSWORD + "x", "csrf_token": auth.csrf()}
    )
    assert page.status_code == 422
    assert page.text.count(SIGN_IN_REFUSED) == 1
    # Still announced: the summary is an alert that takes focus.
    assert re.search(
        r'<div class="error-summary" role="alert"[^>]*>.*?' + re.escape(SIGN_IN_REFUSED), page.text, re.S
    )
