"""Words on pages, one home each: dates the UK way (with a machine-readable <time>), role names
in plain words, and plurals. Pages only; CSV, JSON and the feed keep ISO dates."""

from datetime import date, datetime
from functools import lru_cache

from markupsafe import Markup

ROLE_WORDS = {
    "practitioner": "Practitioner",
    "manager": "Service manager",
    "family": "Parent or carer",
    "admin": "Admin",
}


def _as_date(value):
    """A date from a date, a datetime or an ISO string ("2026-05-26", "2026-05-26T10:00:00Z",
    "2026-05-26 10:00:00"); None when it is none of those."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def uk_date_text(value, empty="–"):
    """`26 May 2026` as plain text (titles, labels); anything not a date is shown as it is."""
    day = _as_date(value)
    if day is None:
        return empty if value in (None, "") else str(value)
    return _day_words(day)


@lru_cache(maxsize=4096)
def _day_words(day):
    # A list repeats the same few hundred dates thousands of times (the offline bundle: 2,500
    # children's reviews), and strftime is most of the cost of each.
    return f"{day.day} {day.strftime('%B')} {day.year}"


def uk_date(value, empty="–"):
    """`<time datetime="2026-05-26">26 May 2026</time>`: read by people the UK way, by machines
    as ISO. The one date filter every template uses."""
    day = _as_date(value)
    if day is None:
        return uk_date_text(value, empty)
    return Markup('<time datetime="{}">{}</time>').format(day.isoformat(), uk_date_text(day))


def uk_datetime(value):
    """`26 May 2026, 14:03 UTC` in a <time> carrying the stored ISO moment (the audit trail)."""
    day = _as_date(value)
    if day is None:
        return uk_date_text(value)
    clock = str(value)[11:16]
    return Markup('<time datetime="{}">{}, {} UTC</time>').format(str(value), uk_date_text(day), clock)


def role_title(role, service_names=()):
    """ "Practitioner, Physiotherapy", "Service manager, Speech and language therapy", "Admin"."""
    words = ROLE_WORDS.get(role, str(role).capitalize())
    if role in ("practitioner", "manager") and service_names:
        return f"{words}, {', '.join(service_names)}"
    return words


def plural(count, singular, many=None):
    """`1 earlier outcome`, `2 earlier outcomes`: the count and the right form of the noun."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def figure_number(measure, value):
    """A published figure's value as a page shows it: rates with %, means to 2 places (distance
    travelled signed), counts whole."""
    if value is None:
        return "none"
    if measure.startswith("pct_"):
        return f"{value:.1f}%"
    if measure.startswith("mean_"):
        return f"{value:+.2f}" if measure == "mean_distance_travelled" else f"{value:.2f}"
    return f"{value:,.0f}"


def init_app(app):
    app.jinja_env.filters["uk_date"] = uk_date
    app.jinja_env.filters["uk_date_text"] = uk_date_text
    app.jinja_env.filters["uk_datetime"] = uk_datetime
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.globals["role_title"] = role_title
