"""The app's Flask class, whose Jinja reads a plain dict's keys as `row.name` without an exception.

Rows reach templates as dicts, and a page reads a few hundred of their fields as `row.name`. Jinja
looks for an attribute first and only then for the key: for a dict that is an AttributeError
raised and caught each time, about a third of a page's rendering spent on nothing.
"""

from flask import Flask
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
