"""The app's Flask class, whose Jinja reads a plain dict's keys as `row.name` without an exception,
and the request's context in one look-up for the helpers templates call.

Rows reach templates as dicts, and a page reads a few hundred of their fields as `row.name`. Jinja
looks for an attribute first and only then for the key: for a dict that is an AttributeError
raised and caught each time, about a third of a page's rendering spent on nothing.
"""

from flask import Flask
from flask.globals import _cv_request
from flask.templating import Environment

# What getattr finds on a plain dict (which has no attributes of its own): its methods and dunders.
# `row.items` on a dict with an "items" key is still the method, as Jinja has it.
DICT_ATTRIBUTES = frozenset(dir(dict))


class RowsEnvironment(Environment):
    def getattr(self, obj, attribute):
        """Jinja's getattr, with the answer it would reach for a plain dict's key found first."""
        if type(obj) is dict and attribute not in DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass  # Jinja's own way to an Undefined naming the missing key
        return Environment.getattr(self, obj, attribute)


class OutcomesFlask(Flask):
    jinja_environment = RowsEnvironment


def request_context():
    """The request's context (its .request and .app) in one look-up: `request` and `current_app`
    are proxies that each find it again, and the helpers templates call (views.kept_url_for,
    row_url, offline_part) run a few dozen times a page.
    (Flask 3.1's own context variable; requirements.txt keeps Flask below 3.2.)"""
    context = _cv_request.get(None)
    if context is None:  # as the proxies say it
        raise RuntimeError("Working outside of request context.")
    return context
