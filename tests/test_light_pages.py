"""Pages that arrive light: fingerprinted static files cached for a year and pre-compressed, HTML and
JSON gzipped, Chart.js deferred and only where a chart is drawn, and precached only for roles that
see charts."""

import gzip
import re

import pytest
from test_offline import worker_settings
from test_practitioner import SLT_DOMAINS, submit_review


@pytest.fixture
def slt(client, auth, world):
    auth.login("slt@test.example")
    return client


def test_static_files_have_fingerprinted_names_cached_for_a_year(client):
    page = client.get("/login").text
    [css] = re.findall(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)
    response = client.get(css)
    assert response.status_code == 200 and b"body" in response.data
    assert (
        "immutable" in response.headers["Cache-Control"]
        and "max-age=31536000" in response.headers["Cache-Control"]
    )
    zipped = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == response.data
    response.close()
    zipped.close()


def test_pages_and_json_are_gzipped_for_browsers_that_take_it(slt, world):
    plain = slt.get("/caseload")
    zipped = slt.get("/caseload", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in plain.headers and zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    text = gzip.decompress(zipped.data).decode()
    assert "Amy Able" in text and len(zipped.data) < len(plain.data)


def test_the_csrf_token_differs_on_every_page_and_each_is_accepted(slt, world, auth):
    tokens = [
        re.search(r'name="csrf_token" value="([^"]+)"', slt.get("/caseload").text).group(1) for _ in "ab"
    ]
    assert tokens[0] != tokens[1]
    for token in tokens:
        path = f"/children/{world.amy}/invitations"
        assert slt.post(path, data={"csrf_token": token}).status_code == 200
    assert slt.post(f"/children/{world.amy}/invitations", data={"csrf_token": "00" * 86}).status_code == 400


def test_chart_js_is_deferred_and_only_on_pages_with_a_chart(slt, world):
    caseload = slt.get("/caseload").text
    assert "chart.umd" not in caseload
    # Amy has a review so that her page draws the star.
    submit_review(slt, world.amy, {key: 5 for key in SLT_DOMAINS}, "2025-01-01")
    star = slt.get(f"/children/{world.amy}").text
    scripts = re.findall(r"<script[^>]*chart[^>]*>", star)
    assert scripts and all(" defer " in s for s in scripts)


def test_the_dashboard_fetches_chart_js_only_when_a_chart_is_drawn(client, auth, world):
    auth.login("manager@test.example")
    page = client.get("/manager/").text
    # No Chart.js script on the page: the charts' script fetches it (same origin, fingerprinted name).
    assert not re.findall(r'<script[^>]*src="[^"]*chart\.umd[^>]*>', page)
    loader = re.search(r'<script defer src="[^"]*scorecard-charts[^"]*" data-chartjs="([^"]+)"', page)
    assert loader and re.fullmatch(r"/static/vendor/chart\.umd\.min\.[0-9a-f]{12}\.js", loader.group(1))
    script = client.get(loader.group(1))
    assert script.status_code == 200 and b"Chart" in script.data
    script.close()


def test_chart_js_is_precached_only_for_roles_that_see_charts(client, auth, world):
    _, signed_out = worker_settings(client)
    auth.login("admin@test.example")
    _, admin = worker_settings(client)
    auth.logout()
    auth.login("slt@test.example")
    _, practitioner = worker_settings(client)
    charts = lambda settings: [url for url in settings["precache"] if "chart.umd" in url]  # noqa: E731
    assert charts(signed_out) == charts(admin) == [] and charts(practitioner)
    assert practitioner["version"] != signed_out["version"]
    for url in practitioner["precache"]:
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_templates_link_the_same_urls_as_url_for_with_each_built_once(app):
    """Templates' url_for keeps each URL it builds; what it gives must be url_for's own answer, under
    any script root, for static files (fingerprinted), ids, query values and blueprint-relative names."""
    from flask import url_for

    from outcomes.views import kept_url_for

    calls = [
        ("static", {"filename": "css/app.css"}),
        ("static", {"filename": "js/star-chart.js"}),
        ("practitioner.child", {"child_id": 7}),
        ("practitioner.child", {"child_id": 8}),
        ("practitioner.new_review", {"child_id": 7, "service": "slt"}),
        ("practitioner.caseload", {"show": "overdue", "page": 2}),
        (".caseload", {}),
        ("auth.index", {}),
        ("auth.index", {"_anchor": "main"}),
    ]
    # Twice under each script root, one app: the second time from what was kept.
    for script_root in ("", "/outcomes", "", "/outcomes"):
        with app.test_request_context("/caseload", base_url=f"http://localhost{script_root}/"):
            for endpoint, values in calls:
                assert kept_url_for(endpoint, **values) == url_for(endpoint, **values)
                assert kept_url_for(endpoint, **values).startswith(script_root + "/")
    assert ("practitioner.child", "/outcomes", ("child_id", 8)) in app.extensions["kept_urls"]


OFFLINE_PARTS = ("offline/_head.html", "offline/_outbox.html", "offline/_scripts.html")


def test_the_kept_offline_parts_are_what_including_them_gives_under_each_script_root(app):
    """Every page's offline parts are rendered once and kept: the markup must be the include's own,
    under any script root, and follow the offline settings when they change."""
    from flask import render_template_string

    from outcomes.views.offline import offline_part

    for script_root in ("", "/outcomes", "", "/outcomes"):
        with app.test_request_context("/caseload", base_url=f"http://localhost{script_root}/"):
            for name in OFFLINE_PARTS:
                included = render_template_string("{% include name %}", name=name)
                assert offline_part(name) == included and "{{" not in included
            assert f'"{script_root}/sw.js"' in offline_part("offline/_head.html")
            assert f'src="{script_root}/static/js/offline/app.' in offline_part("offline/_scripts.html")
    app.config["OFFLINE_RETRY_BASE_MS"] = 1234
    with app.test_request_context("/caseload"):
        assert '"retry_base_ms": 1234' in offline_part("offline/_head.html")


def test_pages_are_the_same_with_the_offline_parts_kept_or_rendered_each_time(app, slt, world):
    """The star page and the offline shell, byte for byte apart from the CSRF tokens, whether the
    offline parts come from what was kept or are rendered afresh (as with templates reloading)."""

    def pages():
        responses = [slt.get(path) for path in (f"/children/{world.amy}", "/offline", "/admin/")]
        assert [response.status_code for response in responses] == [200, 200, 403]
        texts = [response.text for response in responses]
        return [re.sub(r'value="[0-9a-f]{128,}"', "TOKEN", text) for text in texts]

    kept = pages()
    app.jinja_env.auto_reload = True
    try:
        afresh = pages()
    finally:
        app.jinja_env.auto_reload = False
    assert kept == afresh
    assert 'id="offline-config"' in kept[0] and 'id="outbox"' in kept[0] and 'id="outbox"' in kept[1]
