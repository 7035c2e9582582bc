"""The blueprints, one per audience; each view parses the request, calls the domain, renders."""

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


def init_app(app):
    auth.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
