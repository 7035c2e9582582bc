"""The per-child report for staff: every service the viewer may see, with its star table, targets
and outcomes, and the family's views, on one printable page set; audited as a staff read."""

from scorecard_data import rate, save

REPORT_SECTION = '<section class="report-service" id="report-{}"'


def history(db, world):
    """Amy (on the SLT and physiotherapy caseloads): two SLT reviews, a target met, one still open,
    and her parent's rating of the latest."""
    first = save(db, world.slt, world.amy, "2025-09-01", 3, targets=[("talking", 5), ("attention", 6)])
    talking = next(t["id"] for t in first["targets"] if t["domain"] == "talking")
    latest = save(db, world.slt, world.amy, "2026-03-02", 5, outcomes=[(talking, "met")])
    rate(db, world.family, latest["id"], 4, "2026-03-05 10:00:00")
    return latest


def audited_reports(db, user_id):
    return db.execute(
        "SELECT count(*) FROM audit_log WHERE user_id = ? AND action = 'view child report'", [user_id]
    ).fetchone()[0]


def test_practitioner_report_shows_only_her_services_record_and_is_audited(client, auth, db, world):
    history(db, world)
    auth.login("slt@test.example")
    child_page = client.get(f"/children/{world.amy}").text
    assert f'href="/children/{world.amy}/report"' in child_page
    response = client.get(f"/children/{world.amy}/report")
    assert response.status_code == 200
    page = response.text
    assert REPORT_SECTION.format("slt") in page
    # Least privilege: the physiotherapy record is not hers to see.
    assert REPORT_SECTION.format("physio") not in page and "Physiotherapy" not in page
    # The star's table with both reviews, the target met and the one still open, the family's view.
    assert '<time datetime="2025-09-01">1 September 2025</time></th>' in page
    assert '<time datetime="2026-03-02">2 March 2026</time></th>' in page
    assert "Work on talking: <strong>Met</strong>" in page
    assert "<strong>Work on attention</strong> (attention): from 3 to 6" in page
    assert "<strong>Pat Parent</strong>, on the review of" in page and "rated the service good" in page
    assert audited_reports(db, world.slt) == 1


def test_admin_report_covers_every_service_and_others_are_refused(client, auth, db, world):
    history(db, world)
    auth.login("admin@test.example")
    page = client.get(f"/children/{world.amy}/report").text
    assert REPORT_SECTION.format("slt") in page and REPORT_SECTION.format("physio") in page
    assert audited_reports(db, world.admin) == 1
    auth.logout()
    # A practitioner of another child's service, a parent and a manager never get it, nor a log line.
    auth.login("physio@test.example")
    assert client.get(f"/children/{world.bob}/report").status_code == 404
    physio_page = client.get(f"/children/{world.amy}/report").text
    assert REPORT_SECTION.format("physio") in physio_page and REPORT_SECTION.format("slt") not in physio_page
    for email, status in (("family@test.example", 403), ("manager@test.example", 403)):
        auth.logout()
        auth.login(email)
        assert client.get(f"/children/{world.amy}/report").status_code == status
    assert audited_reports(db, world.family) == 0 and audited_reports(db, world.manager) == 0
