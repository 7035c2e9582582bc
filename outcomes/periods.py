"""UK financial periods: quarters (Q1 = April–June … Q4 = January–March) and years.

Labels are `2025-26 Q3` (1 October – 31 December 2025) and `2025-26` (1 April 2025 – 31 March 2026).
No Flask imports.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")

LABEL = re.compile(r"^(\d{4})-(\d{2})(?: Q([1-4]))?$")
ACCEPTED = "a financial quarter such as '2025-26 Q3' or a financial year such as '2025-26'"


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # inclusive: the period's last day

    @property
    def is_quarter(self):
        return " Q" in self.label

    def as_dict(self):
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat()}


def financial_year(start_year):
    """The financial year that starts on 1 April of `start_year`."""
    return Period(_year_label(start_year), date(start_year, 4, 1), date(start_year + 1, 3, 31))


def quarter(start_year, number):
    """Quarter `number` (1–4) of the financial year starting in April of `start_year`."""
    first_month = 4 + 3 * (number - 1)
    year = start_year + (first_month - 1) // 12
    month = (first_month - 1) % 12 + 1
    start = date(year, month, 1)
    end = _add_months(start, 3) - timedelta(days=1)
    return Period(f"{_year_label(start_year)} Q{number}", start, end)


def parse(label):
    """The Period a label names; ValueError saying what is accepted otherwise."""
    match = LABEL.match((label or "").strip())
    if match:
        start_year, short_end, number = int(match[1]), int(match[2]), match[3]
        if short_end == (start_year + 1) % 100:
            return quarter(start_year, int(number)) if number else financial_year(start_year)
    raise ValueError(f"Unknown period '{label}'. Give {ACCEPTED}.")


def dhis2_period(period):
    """The DHIS2 period code of a financial quarter or year: the one place the mapping lives.

    DHIS2 quarters are calendar quarters, so financial Q1 (April–June 2025) is `2025Q2`, Q2 `2025Q3`,
    Q3 `2025Q4` and Q4 (January–March 2026) `2026Q1`; a financial year from April is `2025April`.
    """
    if not period.is_quarter:
        return f"{period.start.year}April"
    return f"{period.start.year}Q{(period.start.month - 1) // 3 + 1}"


def uk_today():
    """Today's date in the UK, whatever the server's time zone."""
    return datetime.now(UK).date()


def utc_bounds(period):
    """The period as UTC timestamps in the stored text form ('YYYY-MM-DD HH:MM:SS'): from the UK
    midnight its first day starts to the UK midnight after its last day (not included). Timestamped
    things (a family's rating) fall in a period by their UK date, so a rating at 00:30 BST on
    1 October, which is 23:30 UTC on 30 September, is in the quarter starting 1 October."""

    def utc(day):
        moment = datetime.combine(day, time(0), tzinfo=UK).astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    return utc(period.start), utc(period.end + timedelta(days=1))


def quarter_containing(day):
    start_year = day.year if day.month >= 4 else day.year - 1
    return quarter(start_year, (day.month - 4) % 12 // 3 + 1)


def year_containing(day):
    return financial_year(day.year if day.month >= 4 else day.year - 1)


def quarters_up_to(period, count):
    """The `count` quarters ending with the last quarter of `period`, oldest first."""
    last = quarter_containing(period.end)
    result = [last]
    while len(result) < count:
        result.insert(0, quarter_containing(result[0].start - timedelta(days=1)))
    return result


def choices(today, quarters=8, years=3):
    """Periods a manager picks from: recent quarters then recent years, newest first."""
    recent_quarters = list(reversed(quarters_up_to(quarter_containing(today), quarters)))
    this_year = year_containing(today)
    recent_years = [financial_year(this_year.start.year - back) for back in range(years)]
    return recent_quarters + recent_years


def default_period(today):
    """The last complete quarter: the one a quarterly report is about."""
    return quarter_containing(quarter_containing(today).start - timedelta(days=1))


def _year_label(start_year):
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def _add_months(day, months):
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)
