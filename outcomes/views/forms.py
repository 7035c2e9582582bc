"""The round trip every form makes: load it, act on it, and on refusal show it again with the
reasons beside the fields (422)."""

from contextlib import contextmanager

from flask import flash, render_template, request
from marshmallow import ValidationError

from ..errors import flatten_errors


@contextmanager
def validation_errors(lists=()):
    """Yields {field: [messages]}: empty if the block runs through, filled from the ValidationError
    a schema or domain call raised in it (which stops the block, and goes no further).

    Checkbox groups named in `lists` show their errors once: 'manager_of.0' -> 'manager_of'.
    """
    errors = {}
    try:
        yield errors
    except ValidationError as error:
        flat = flatten_errors(error.messages)
        errors.update(fold_list_errors(flat, lists) if lists else flat)


@contextmanager
def flash_if_refused():
    """For a button with no form to show again: why the block's action was refused, as a flash."""
    with validation_errors() as errors:
        yield
    if errors:
        flash(all_messages(errors))


def fold_list_errors(errors, names):
    """'manager_of.0' -> 'manager_of': a group of checkboxes shows its errors once."""
    folded = {}
    for key, messages in errors.items():
        head = key.split(".", 1)[0]
        key = head if head in names else key
        folded.setdefault(key, [])
        folded[key].extend(m for m in messages if m not in folded[key])
    return folded


def form_page(template, errors, **context):
    """The form page, with 422 when it shows refused input."""
    return render_template(template, errors=errors, **context), (422 if errors else 200)


def all_messages(errors):
    """Every message in one line, for a flash or a 400."""
    return " ".join(sum(errors.values(), []))


def unconfirmed(heading, consequence, button, back):
    """None when the posted form says confirmed=yes; otherwise the "Are you sure?" page (200),
    which posts the same fields again, confirmed. A destructive action is never one tap."""
    if request.form.get("confirmed") == "yes":
        return None
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirmed")]
    return render_template(
        "confirm.html",
        heading=heading,
        consequence=consequence,
        button=button,
        back=back,
        action=request.path,
        fields=fields,
    )
