"""Working with no signal: the service worker, the offline shell page and the tablet's JSON.

The service worker (static/sw.js) is served from /sw.js so that its scope is the whole app;
its cache name carries a hash of everything it precaches, so any change ships a new cache.
"""

import gzip
import hashlib
import json
import mimetypes
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import offline_bundle, services, stars
from ..db import get_db
from ..security import csrf_token
from ..templating import request_context
from .practitioner import review_form_context

bp = Blueprint("offline", __name__)
mimetypes.add_type("application/manifest+json", ".webmanifest")

# Static files the app shell needs with no signal, relative to static/.
PRECACHED_STATIC = (
    "css/app.css",
    "js/review-form.js",
    "js/offline/store.js",
    "js/offline/form.js",
    "js/offline/outbox.js",
    "js/offline/app.js",
    "js/offline/shell.js",
    "manifest.webmanifest",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
)
# Chart.js (210 KB) and the star's drawing: only for the roles whose pages draw charts, so that a
# visitor on the sign-in page or an administrator never downloads them.
CHART_STATIC = ("vendor/chart.umd.min.js", "js/star-chart.js", "js/scorecard-charts.js")
CHART_ROLES = ("practitioner", "family", "manager")
# The review form's templates: the tablet keeps markup drawn from them (see bundle()).
FORM_TEMPLATES = (
    "practitioner/_review_fields.html",
    "practitioner/_targets_to_close.html",
    "practitioner/_readings.html",
    "practitioner/_child_view.html",
    "practitioner/_notes.html",
    "macros.html",
)
DEFAULTS = {
    "OFFLINE_RETRY_BASE_MS": 5_000,  # first retry after a failed send; doubles each time
    "OFFLINE_RETRY_MAX_MS": 5 * 60_000,
    "OFFLINE_BUNDLE_MAX_AGE_MS": 10 * 60_000,  # refresh the kept caseload at most this often
}


def offline_config():
    """What the offline scripts need, rendered into every page (URLs from url_for, no secrets).

    The same for every page of the app, so it is worked out once per process (and again when the
    settings change)."""
    settings = _settings()
    key = (request.script_root, repr(settings))
    kept = current_app.extensions.setdefault("offline_config", {})
    config = kept.get(key)
    # Templates change under a running server only when it reloads them (debug): only then is
    # the form's version looked at again.
    if config is None or current_app.jinja_env.auto_reload:
        config = _offline_config(form_version(current_app.template_folder), settings)
        kept.clear()
        kept[key] = config
    return config


def _settings(config=None):
    config = current_app.config if config is None else config
    return {name: config.get(name, default) for name, default in DEFAULTS.items()}


@bp.app_template_global()
def offline_part(name):
    """An offline app's part of every page (offline/_head.html, _outbox.html, _scripts.html) as
    markup, rendered once per script root and settings and kept: each is the same for every viewer
    and page (links, the offline settings), and including them cost a page four template contexts
    and a dozen URL look-ups. So they may use only url_for and offline_config, never the viewer,
    the request or the page's context. When templates reload (debug) they are rendered each time."""
    context = request_context()
    app = context.app
    key = (name, context.request.script_root, repr(_settings(app.config)))
    kept = app.extensions.setdefault("offline_parts", {})
    html = kept.get(key)
    if html is None or app.jinja_env.auto_reload:
        template = app.jinja_env.get_template(name)
        html = Markup(template.render(offline_config=offline_config))
        if len(kept) >= 100:  # a few per script root: never reached unless settings keep changing
            kept.clear()
        kept[key] = html
    return html


def _offline_config(version, settings):
    return {
        "sw": url_for("offline.service_worker"),
        "scope": url_for("auth.index"),
        "shell": url_for("offline.shell"),
        "whoami": url_for("offline.whoami"),
        "bundle": url_for("offline.bundle"),
        "reviews": url_for("api.create_review"),
        "caseload": url_for("practitioner.caseload"),
        # Patterns: shell.js swaps the 0 for a child's id.
        "child": url_for("practitioner.child", child_id=0),
        "new_review": url_for("practitioner.new_review", child_id=0),
        "review_form_js": url_for("static", filename="js/review-form.js"),
        # A kept bundle drawn from other templates (before a deploy) is refreshed at once.
        "form_version": version,
        "retry_base_ms": settings["OFFLINE_RETRY_BASE_MS"],
        "retry_max_ms": settings["OFFLINE_RETRY_MAX_MS"],
        "bundle_max_age_ms": settings["OFFLINE_BUNDLE_MAX_AGE_MS"],
    }


def precached_static():
    """PRECACHED_STATIC, plus CHART_STATIC for a signed-in role that sees charts."""
    if current_user.is_authenticated and current_user.role in CHART_ROLES:
        return PRECACHED_STATIC + CHART_STATIC
    return PRECACHED_STATIC


def precache_urls():
    return [url_for("offline.shell")] + [url_for("static", filename=name) for name in precached_static()]


def shell_version(static_folder, template_folder, precached=PRECACHED_STATIC):
    """A hash of the worker, the shell and every precached file: changes when any of them does.

    The form's templates count too: the shell's settings carry their form_version.
    """
    digest = hashlib.sha256()
    paths = [Path(static_folder) / "sw.js", Path(template_folder) / "offline" / "shell.html"]
    paths += [Path(static_folder) / name for name in precached]
    paths += [Path(template_folder) / name for name in FORM_TEMPLATES]
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def form_version(template_folder):
    """A hash of the review form's templates: changes when the form the tablet keeps would.

    Every page carries it: the hash is kept while the files' sizes and times stand."""
    paths = [Path(template_folder) / name for name in FORM_TEMPLATES]
    stamp = tuple((path, stat.st_mtime_ns, stat.st_size) for path in paths for stat in [path.stat()])
    version = _form_versions.get(stamp)
    if version is None:
        digest = hashlib.sha256()
        for path in paths:
            digest.update(path.read_bytes())
        version = digest.hexdigest()[:12]
        _form_versions.clear()
        _form_versions[stamp] = version
    return version


_form_versions = {}


@bp.route("/sw.js")
def service_worker():
    """The worker with its version and precache list filled in; never cached by the browser."""
    source = (Path(current_app.static_folder) / "sw.js").read_text()
    settings = {
        "version": shell_version(current_app.static_folder, current_app.template_folder, precached_static()),
        "precache": precache_urls(),
        "shell": url_for("offline.shell"),
    }
    body = source.replace("__SETTINGS__", json.dumps(settings))
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache, no-store"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/offline")
def shell():
    """The offline app shell: no personal data, so it may be cached; shell.js fills it in."""
    # The kept child page draws its star with these (precached for practitioners), loaded only then.
    return render_template(
        "offline/shell.html", chart_scripts=[url_for("static", filename=name) for name in CHART_STATIC[:2]]
    )


@bp.route("/api/v1/offline/whoami")
def whoami():
    """Who is signed in on this browser, and the token the outbox sends reviews with. Nobody is
    an answer, not an error: 204, so the sign-in and join pages log no failed request."""
    if not current_user.is_authenticated:
        return "", 204, {"Cache-Control": "no-store"}
    return jsonify(
        {
            "user_id": current_user.id,
            "name": current_user.name,
            "role": current_user.role,
            "csrf_token": csrf_token(),
        }
    )


@bp.route("/api/v1/offline/bundle")
@login_required
def bundle():
    """This practitioner's caseload children (minimum fields), her services' stars, and the
    review form's markup drawn by the online form's own templates."""
    if current_user.role != "practitioner":
        abort(403, description="Only practitioners keep a caseload on their device.")
    db = get_db()
    kept = offline_bundle.caseload_bundle(db, current_user.id)
    add_review_forms(db, kept)
    kept["form_version"] = form_version(current_app.template_folder)
    return gzipped(jsonify(kept))


def gzipped(response):
    """The response gzipped when the browser takes it: the form's repetitive markup shrinks
    more than tenfold, which a weak signal feels. It holds no secret (no token), so
    compressing it leaks nothing."""
    if "gzip" not in request.accept_encodings:
        return response
    response.set_data(gzip.compress(response.get_data(), compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def add_review_forms(db, kept):
    """The form's fields once per service (the bulk of it: every reading of every domain), and
    each child's targets to close, which shell.js puts into the slot the fields leave for them.
    Both come from the templates and context of the online form, so the two cannot drift."""
    star_of = {}
    for entry in kept["services"]:
        star = star_of[entry["key"]] = stars.load_version(db, entry["star"]["id"])
        entry["review_form"] = render_template(
            "practitioner/_review_fields.html",
            service=services.service_by_key(db, entry["key"]),
            **review_form_context(star, [], {}),
        ).strip()
    _add_targets_to_close(star_of, kept["children"])


def _add_targets_to_close(star_of, kept_children):
    """Each child's targets to close, per service: thousands of renders of one template."""
    targets_to_close = _each_render("practitioner/_targets_to_close.html")
    for key, star in star_of.items():
        records = [child["services"][key] for child in kept_children if key in child["services"]]
        # One context for the whole list (a blank form's: no values, no errors), in which each
        # target's suggestions depend on that target alone, so a child's slice of its targets is
        # what the context of that child's own form holds.
        context = review_form_context(star, [t for record in records for t in record["open_targets"]], {})
        start, nothing_to_close = 0, None  # with no open target the markup is the same for every child
        for record in records:
            end = start + len(record["open_targets"])
            if start == end and nothing_to_close is not None:
                record["targets_to_close"] = nothing_to_close
                continue
            record["targets_to_close"] = targets_to_close(
                context | {"targets": context["targets"][start:end]}
            )
            # The markup holds the ids and due dates; the child page needs only what it shows.
            record["open_targets"] = offline_bundle.shown_targets(record["open_targets"])
            if start == end:
                nothing_to_close = record["targets_to_close"]
            start = end


def _each_render(name):
    """render_template for one template drawn thousands of times (each child's targets to close):
    the template is looked up and the context processors run once, not once per child."""
    template = current_app.jinja_env.get_template(name)
    shared = {}
    current_app.update_template_context(shared)
    return lambda context: template.render(shared | context).strip()


@bp.app_context_processor
def inject_offline_config():
    return {"offline_config": offline_config}
