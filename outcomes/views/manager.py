"""Managers' pages: the balanced scorecard of the services they manage. Never a child's name.

A manager sees the services where she holds a 'manager' membership; an admin sees every service.
Every figure comes from scorecard.scorecard (suppression already applied there).
"""

from datetime import date

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from marshmallow import ValidationError

from .. import periods, scorecard
from ..access import managed_services
from ..db import get_db
from ..errors import flatten_errors
from ..schemas import ManagerPeriodSchema
from .api import csv_response
from .auth import role_required

bp = Blueprint("manager", __name__, url_prefix="/manager")


manager_required = role_required("manager", "admin", message="This page is for service managers.")


def period_or_400():
    try:
        chosen = ManagerPeriodSchema().load(request.args.to_dict())["period"]
    except ValidationError as error:
        abort(
            400,
            description=" ".join(
                message for messages in flatten_errors(error.messages).values() for message in messages
            ),
        )
    return chosen or periods.default_period(date.today())


def threshold():
    return current_app.config["SUPPRESSION_THRESHOLD"]


def _card(db, period):
    return scorecard.scorecard(db, managed_services(db, current_user), period, threshold())


def figure_text(measure, figure):
    """How a published figure reads on the page: 'fewer than 5' when suppressed, never the number."""
    if figure["suppressed"]:
        return f"fewer than {threshold()}"
    value = figure["value"]
    if value is None:
        return "no data"
    if measure.startswith("pct_"):
        return f"{value:.1f}%"
    if measure.startswith("mean_"):
        return f"{value:+.2f}" if measure == "mean_distance_travelled" else f"{value:.2f}"
    return f"{value:,}"


def service_section(service, trend):
    """What the page shows for one service: figures by perspective, two charts with their tables."""
    by_perspective = {name: [] for name in scorecard.PERSPECTIVES}
    for measure, figure in service["measures"].items():
        by_perspective[figure["perspective"]].append(
            {"measure": measure, "label": scorecard.LABELS[measure], "text": figure_text(measure, figure)}
        )
    trend_figures = trend["services"][service["key"]]
    trend_rows = [
        {
            "period": label,
            "text": figure_text("pct_targets_met", figures["pct_targets_met"]),
            "closed": figure_text("targets_closed", figures["targets_closed"]),
        }
        for label, figures in zip(trend["quarters"], trend_figures, strict=False)
    ]
    domain_rows = [
        {
            "label": row["label"],
            "children": figure_text(
                "children_with_progress_data", row["measures"]["children_with_progress_data"]
            ),
            "distance": figure_text("mean_distance_travelled", row["measures"]["mean_distance_travelled"]),
            "improved": figure_text("pct_children_improved", row["measures"]["pct_children_improved"]),
        }
        for row in service["domains"]
    ]
    return {
        "key": service["key"],
        "name": service["name"],
        "perspectives": by_perspective,
        "trend_rows": trend_rows,
        "domain_rows": domain_rows,
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


def _page(template, period):
    db = get_db()
    services = managed_services(db, current_user)
    card = scorecard.scorecard(db, services, period, threshold())
    trend = scorecard.targets_trend(db, services, period, threshold())
    sections = [service_section(service, trend) for service in card["services"]]
    choices = periods.choices(date.today())
    if period not in choices:
        choices.insert(0, period)
    return render_template(
        template,
        card=card,
        sections=sections,
        period=period,
        choices=choices,
        threshold=threshold(),
        perspectives=scorecard.PERSPECTIVES,
    )


@bp.route("/")
@manager_required
def dashboard():
    return _page("manager/dashboard.html", period_or_400())


@bp.route("/report")
@manager_required
def report():
    """The print report: one page per service, for the strategic group and the Health and Wellbeing Board."""
    return _page("manager/report.html", period_or_400())


@bp.route("/scorecard.csv")
@manager_required
def download_csv():
    return csv_response(_card(get_db(), period_or_400()))
