"""The blueprints, one per audience; each view parses the request, calls the domain, renders."""

from flask import url_for

from ..templating import request_context
from . import admin, api, auth, data_protection, family, feedback, manager, offline, practitioner, region

BLUEPRINTS = (
    auth.bp,
    practitioner.bp,
    api.bp,
    family.bp,
    manager.bp,
    region.bp,
    feedback.bp,
    admin.bp,
    data_protection.bp,
    offline.bp,
)


def row_url(endpoint, argument, value):
    """url_for(endpoint, argument=value) for an integer id at the end of the path, as a table's rows
    link to their records: the path is built once per endpoint, as werkzeug's builder costs more
    than the rest of a row's rendering."""
    return row_url_prefix(endpoint, argument) + str(int(value))


def row_url_prefix(endpoint, argument):
    """row_url's path without the id, for a view that links many rows itself."""
    context = request_context()
    kept = context.app.extensions.setdefault("row_urls", {})
    key = (endpoint, argument, context.request.script_root)
    prefix = kept.get(key)
    if prefix is None:
        prefix = url_for(endpoint, **{argument: 0})
        if not prefix.endswith("/0"):
            raise ValueError(f"{endpoint}: {argument} is not the end of its path")
        prefix = kept[key] = prefix[:-1]
    return prefix


def kept_url_for(endpoint, **values):
    """url_for for templates, each distinct URL built once per app.

    werkzeug's builder costs about 35 µs a URL, and a page builds fifteen or more (its stylesheet,
    scripts, icons, navigation): as much as the rest of the header. The same endpoint and values
    give the same path under one script root (the static files' fingerprints are fixed at start),
    so it is kept. Anything unusual (_external, _anchor, a list) goes to url_for itself.
    """
    for name, value in values.items():
        if name[0] == "_" or isinstance(value, list | dict):
            return url_for(endpoint, **values)
    context = request_context()
    request = context.request
    if endpoint[:1] == ".":  # relative to the blueprint handling the request
        endpoint = (request.blueprint or "") + endpoint
    kept = context.app.extensions.setdefault("kept_urls", {})
    # Most links have no value or one (a filename, an id): sorting is for two or more.
    items = sorted(values.items()) if len(values) > 1 else values.items()
    key = (endpoint, request.script_root, *items)
    url = kept.get(key)
    if url is None:
        if len(kept) >= 10_000:  # ids in paths make many URLs: start afresh rather than grow
            kept.clear()
        url = kept[key] = url_for(endpoint, **values)
    return url


def init_app(app):
    app.jinja_env.globals["row_url"] = row_url
    app.jinja_env.globals["url_for"] = kept_url_for
    auth.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
