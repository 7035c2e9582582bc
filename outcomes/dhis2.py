"""The scorecard as a DHIS2 `dataValueSets` document, for areas whose analysts work in DHIS2.

One data element per service-wide measure (codes in DATA_ELEMENTS, documented in docs/scorecard.md
and the OpenAPI document); each service is an organisation unit or a category option combo of the
area's one organisation unit (setting DHIS2_SERVICE_AS); withheld figures are left out, never sent
as blanks or zeros. Every figure comes from the published card, so disclosure control is already
applied. No Flask imports.
"""

from . import periods
from .scorecard import MEASURES

DATA_ELEMENTS = {name: "SEND_" + name.upper() for name, _, _, _ in MEASURES}
SERVICE_AS = ("org_unit", "category_option")


def settings(config):
    """The DHIS2 settings from the app's config, with their defaults (each service's own key)."""
    service_as = config.get("DHIS2_SERVICE_AS", "org_unit")
    if service_as not in SERVICE_AS:
        raise ValueError(f"Unknown DHIS2_SERVICE_AS '{service_as}'. Accepted: {', '.join(SERVICE_AS)}.")
    return {
        "service_as": service_as,
        "org_units": dict(config.get("DHIS2_ORG_UNITS") or {}),
        "org_unit": config.get("DHIS2_ORG_UNIT", "SEND_AREA"),
        "category_option_combos": dict(config.get("DHIS2_CATEGORY_OPTION_COMBOS") or {}),
    }


def _value(number):
    """DHIS2 takes values as text: whole numbers without a decimal point."""
    return str(int(number)) if float(number).is_integer() else str(number)


def data_value_set(card, options):
    """The card's published figures as {"dataValues": [...]}, one per figure that is shown."""
    period = periods.dhis2_period(periods.parse(card["period"]["label"]))
    values = []
    for service in card["services"]:
        key = service["key"]
        where = (
            {"orgUnit": options["org_units"].get(key, key)}
            if options["service_as"] == "org_unit"
            else {
                "orgUnit": options["org_unit"],
                "categoryOptionCombo": options["category_option_combos"].get(key, key),
            }
        )
        for measure, figure in service["measures"].items():
            if figure["suppressed"] or figure["value"] is None:
                continue
            values.append(
                {
                    "dataElement": DATA_ELEMENTS[measure],
                    "period": period,
                    **where,
                    "value": _value(figure["value"]),
                }
            )
    return {"idScheme": "CODE", "period": period, "dataValues": values}
