"""Managers' pages: the balanced scorecard of the services they manage. Never a child's name.

A manager sees the services where she holds a 'manager' membership; an admin sees every service.
Every figure comes from scorecard.published_year (disclosure control already applied there).
"""

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from marshmallow import ValidationError

from .. import disclosure, periods, scorecard, wording
from ..access import managed_services
from ..db import get_db
from ..errors import flatten_errors
from ..schemas import ManagerPeriodSchema
from .api import csv_response, disclosure_policy
from .auth import role_required

bp = Blueprint("manager", __name__, url_prefix="/manager")


manager_required = role_required("manager", "admin", message="This page is for service managers.")


def choice_or_400():
    """(period, breakdown) the page asks for: the last complete quarter and no breakdown if none."""
    args = {name: value for name, value in request.args.to_dict().items() if value.strip()}
    try:
        chosen = ManagerPeriodSchema().load(args)
    except ValidationError as error:
        abort(
            400,
            description=" ".join(
                message for messages in flatten_errors(error.messages).values() for message in messages
            ),
        )
    breakdown = None if chosen["breakdown"] == "none" else chosen["breakdown"]
    return chosen["period"] or periods.default_period(date.today()), breakdown


def _card(db, period, breakdown=None):
    return scorecard.scorecard(
        db, managed_services(db, current_user), period, disclosure_policy(), breakdown=breakdown
    )


# What a count counts, for "fewer than 8 children"; a rate or mean names its denominator's.
UNITS = {
    "children_reviewed": "children",
    "reviews": "reviews",
    "reviews_on_time": "reviews",
    "targets_closed": "targets",
    "targets_met": "targets",
    "targets_partly_met": "targets",
    "targets_not_met": "targets",
    "children_with_progress_data": "children",
    "family_ratings": "ratings",
    "children_with_targets_closed": "children",
    "_reviews_compared": "reviews",
}
DENOMINATORS = {name: denominator for name, _, _, denominator in scorecard.MEASURES}
SECONDARY_TEXT = "hidden so that a small number cannot be worked out"
# The print report keeps one A4 page per service; its footnote spells the dagger out.
SECONDARY_SHORT = "hidden†"


def figure_text(measure, figure, short=False):
    """How a published figure reads on the page, saying why when it is withheld; never the number."""
    reason = figure["reason"]
    if reason == "small_count":
        unit = UNITS.get(measure) or UNITS[DENOMINATORS[measure]]
        return f"fewer than {disclosure_policy().withhold_below} {unit}"
    if reason == "secondary":
        return SECONDARY_SHORT if short else SECONDARY_TEXT
    return wording.figure_number(measure, figure["value"])


def change_text(measure, now, before):
    """The change between two published figures, or why there is none to show."""
    if now["value"] is None or before["value"] is None:
        return "not available"
    difference = disclosure.round_half_up(now["value"] - before["value"], 2)
    if measure.startswith("pct_"):
        return f"{difference:+.1f} points"
    if measure.startswith("mean_"):
        return f"{difference:+.2f}"
    return f"{difference:+,.0f}"


# The print report keeps one A4 page per service: its trend table is the chart's figures.
REPORT_TREND = ("targets_closed", "pct_targets_met")


def trend_rows(quarters, figures, measures=None, short=False):
    """Each measure over the quarters, with the change since the previous quarter and since the
    same quarter a year before (both for the last quarter shown)."""
    rows = []
    for name, _, _, _ in scorecard.MEASURES:
        if measures and name not in measures:
            continue
        series = [quarter[name] for quarter in figures]
        rows.append(
            {
                "measure": name,
                "label": scorecard.LABELS[name],
                "texts": [figure_text(name, figure, short) for figure in series],
                "since_previous": change_text(name, series[-1], series[-2]) if len(series) > 1 else "",
                "since_last_year": change_text(name, series[-1], series[-5]) if len(series) > 4 else "",
            }
        )
    return rows


BREAKDOWN_CHOICES = (
    ("none", "None"),
    ("age_band", "Age band"),
    ("sen_status", "SEN status"),
    ("primary_need", "Primary need (SEN2)"),
)
# The print report's breakdown table keeps to the headline measures, to fit its page.
REPORT_BREAKDOWN = (
    "children_reviewed",
    "reviews",
    "pct_reviews_on_time",
    "targets_closed",
    "pct_targets_met",
)


def breakdown_table(service, measures=None, short=False):
    """The breakdown's figures as a table: a row per measure, a column per group; withheld
    figures read as on the rest of the page, never as their number."""
    if "breakdown" not in service:
        return None
    groups = service["breakdown"]["groups"]
    return {
        "by": dict(BREAKDOWN_CHOICES)[service["breakdown"]["by"]],
        "groups": [group["label"] for group in groups],
        "rows": [
            {
                "measure": name,
                "label": scorecard.LABELS[name],
                "texts": [figure_text(name, group["measures"][name], short) for group in groups],
            }
            for name, _, _, _ in scorecard.MEASURES
            if not measures or name in measures
        ],
    }


def service_section(service, trend, trend_measures=None):
    """What the page shows for one service: figures by perspective, the trend, two charts with tables.

    `trend_measures` (the print report) limits the trend table and uses the short withheld text.
    """
    short = trend_measures is not None
    by_perspective = {name: [] for name in scorecard.PERSPECTIVES}
    for measure, figure in service["measures"].items():
        by_perspective[figure["perspective"]].append(
            {
                "measure": measure,
                "label": scorecard.LABELS[measure],
                "text": figure_text(measure, figure, short),
            }
        )
    trend_figures = trend["services"][service["key"]]
    domain_rows = [
        {
            "label": row["label"],
            "children": figure_text(
                "children_with_progress_data", row["measures"]["children_with_progress_data"], short
            ),
            "distance": figure_text(
                "mean_distance_travelled", row["measures"]["mean_distance_travelled"], short
            ),
            "improved": figure_text("pct_children_improved", row["measures"]["pct_children_improved"], short),
            "agreement": figure_text(
                "pct_family_view_agreement", row["measures"]["pct_family_view_agreement"], short
            ),
        }
        for row in service["domains"]
    ]
    return {
        "key": service["key"],
        "name": service["name"],
        "perspectives": by_perspective,
        "trend_rows": trend_rows(trend["quarters"], trend_figures, trend_measures, short),
        "domain_rows": domain_rows,
        # The print report keeps one A4 page per service: the per-domain agreement stays on the
        # dashboard, the CSV and the feed (the service's own is in the report's figures).
        "domain_agreement": not short,
        "breakdown": breakdown_table(service, REPORT_BREAKDOWN if short else None, short),
        "trend_chart": {
            "type": "line",
            "labels": trend["quarters"],
            "y_label": "Targets met (%)",
            "min": 0,
            "max": 100,
            "datasets": [
                {
                    "label": f"{service['name']}: targets met (%)",
                    "data": [figures["pct_targets_met"]["value"] for figures in trend_figures],
                }
            ],
        },
        "domain_chart": {
            "type": "bar",
            "labels": [row["label"] for row in service["domains"]],
            "y_label": "Mean distance (points)",
            "datasets": [
                {
                    "label": "Mean distance travelled",
                    "data": [
                        row["measures"]["mean_distance_travelled"]["value"] for row in service["domains"]
                    ],
                }
            ],
        },
    }


def _page(template, choice, trend_measures=None):
    period, breakdown = choice
    db = get_db()
    services = managed_services(db, current_user)
    card = scorecard.scorecard(db, services, period, disclosure_policy(), breakdown=breakdown)
    trend = scorecard.trend(db, services, period, disclosure_policy())
    sections = [service_section(service, trend, trend_measures) for service in card["services"]]
    choices = periods.choices(date.today())
    if period not in choices:
        choices.insert(0, period)
    return render_template(
        template,
        card=card,
        sections=sections,
        period=period,
        choices=choices,
        breakdown=breakdown or "none",
        breakdown_choices=BREAKDOWN_CHOICES,
        trend_quarters=trend["quarters"],
        policy=disclosure_policy(),
        perspectives=scorecard.PERSPECTIVES,
    )


@bp.route("/")
@manager_required
def dashboard():
    return _page("manager/dashboard.html", choice_or_400())


@bp.route("/report")
@manager_required
def report():
    """The print report: one page per service, for the strategic group and the Health and Wellbeing Board."""
    return _page("manager/report.html", choice_or_400(), REPORT_TREND)


@bp.route("/scorecard.csv")
@manager_required
def download_csv():
    return csv_response(_card(get_db(), *choice_or_400()))
