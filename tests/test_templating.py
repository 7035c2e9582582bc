"""Templates read dict rows' keys as `row.name` on a fast path that must answer exactly as Jinja does."""

import jinja2
import pytest


class Record:
    """An object with an attribute and items: Jinja prefers the attribute."""

    name = "the attribute"

    def __getitem__(self, key):
        return f"the item {key}"


class Row(dict):
    """A dict subclass with a property of the same name as a key: the attribute wins."""

    @property
    def name(self):
        return "the property"


CASES = [
    ({"name": "Ada", "items": "the key"}, "name"),
    ({"name": "Ada", "items": "the key"}, "items"),  # dict.items, the method, as Jinja has it
    ({"keys": 3, "get": 4, "__class__": 5}, "get"),
    ({"keys": 3, "get": 4, "__class__": 5}, "__class__"),
    ({"name": None}, "name"),
    ({"name": "Ada"}, "missing"),
    ({}, "copy"),
    (Row(name="the key"), "name"),
    (Row(name="the key"), "other"),
    (Record(), "name"),
    (Record(), "other"),
    ([1, 2], "append"),
    ("text", "upper"),
    (None, "name"),
]


def answer(environment, obj, attribute):
    """What a template gets: a value, or an Undefined with the name it reports, or an error."""
    try:
        value = environment.getattr(obj, attribute)
    except Exception as error:  # noqa: BLE001 (the kind of error is what is compared)
        return ("raised", type(error))
    if isinstance(value, jinja2.Undefined):
        return ("undefined", type(value), value._undefined_name, value._undefined_obj is obj)
    return ("value", value)


@pytest.mark.parametrize(("obj", "attribute"), CASES)
def test_attribute_lookup_answers_as_jinja_does(app, obj, attribute):
    plain = jinja2.Environment()
    assert answer(app.jinja_env, obj, attribute) == answer(plain, obj, attribute)


def test_templates_read_dict_keys_and_keep_methods_and_undefined(app):
    source = (
        "{{ row.name }}|{{ row['items'] }}|{{ row.items is callable }}|{{ row.missing is undefined }}|"
        "{{ row.missing }}|{{ record.name }}|{{ record.other }}|{{ nothing is undefined }}"
    )
    row = {"name": "Ada <b>", "items": "the key"}
    with app.app_context():
        html = app.jinja_env.from_string(source).render(row=row, record=Record())
        with pytest.raises(jinja2.UndefinedError, match="'nothing' is undefined"):
            app.jinja_env.from_string("{{ nothing.name }}").render()
        with pytest.raises(jinja2.UndefinedError, match="has no attribute 'missing'"):
            app.jinja_env.from_string("{{ row.missing.deeper }}").render(row=row)
    # A template's autoescaping sees the key's value as before.
    assert html == "Ada &lt;b&gt;|the key|True|True||the attribute|the item other|True"


def test_links_outside_a_request_say_so(app):
    from outcomes.views import kept_url_for

    with app.app_context(), pytest.raises(RuntimeError, match="outside of request context"):
        kept_url_for("auth.index")
