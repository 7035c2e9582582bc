"""The star chart's data, built once for every page and the tablet: no Flask imports.

A chart is a generic list of datasets, each {"label", "date", "kind", "values", "shown"}: one per
counted review (kind "first", "previous", "latest" or "review") and one per other reading, such as
the family's view (kind "family"). The browser draws the ones marked `shown` and lets the viewer
choose others; another kind of reading is one more entry in the list. A reading with no scores on
the compared domains is left out, so a legend never names a dataset with nothing drawn.
"""

from .stars import stage_name
from .wording import uk_date_text

REVIEW_WORDS = {
    "first": "First review",
    "previous": "Previous review",
    "latest": "Latest review",
    "review": "Review",
}
SHOWN_AT_FIRST = {"first", "latest", "family", "child"}


def day(iso_date):
    """'2026-05-26' -> '26 May 2026', the way the pages show a date (wording is its home)."""
    return uk_date_text(iso_date)


def review_kind(index, count):
    """Which review a column is, by its place among `count` counted reviews in date order."""
    if index == count - 1:
        return "latest"  # a child's only review is their latest
    if index == 0:
        return "first"
    return "previous" if index == count - 2 else "review"


def review_datasets(chart):
    """One dataset per counted review of a children.star_over_time chart, oldest first."""
    columns = chart["columns"]
    datasets = []
    for index, column in enumerate(columns):
        kind = review_kind(index, len(columns))
        datasets.append(_dataset(f"{REVIEW_WORDS[kind]} ({day(column['date'])})", column, kind))
    return datasets


def family_dataset(chart, family_label):
    """The family's newest view as a dataset, or None when there is none."""
    view = chart.get("family")
    if not view:
        return None
    return _dataset(f"{family_label} (review of {day(view['date'])})", view, "family")


def child_dataset(chart):
    """The child's own view from the newest review with one (faces placed on the star's scale)."""
    view = chart.get("child")
    if not view:
        return None
    return _dataset(f"Child's own view, in faces (review of {day(view['date'])})", view, "child")


def star_chart(chart, family_label):
    """Everything the radar, its choices and the line per domain need, as one JSON-ready dict."""
    star = chart["star"]
    datasets = review_datasets(chart) + [family_dataset(chart, family_label), child_dataset(chart)]
    return {
        "labels": [domain["label"] for domain in chart["domains"]],
        "min": star["scale_min"],
        "max": star["scale_max"],
        "stages": stage_ticks(star),
        "datasets": [dataset for dataset in datasets if dataset and _has_scores(dataset)],
    }


def example_chart(star, examples):
    """A chart of made-up readings for the star editor's preview: [(label, scores)]."""
    return {
        "labels": [domain["label"] for domain in star["domains"]],
        "min": star["scale_min"],
        "max": star["scale_max"],
        "stages": stage_ticks(star),
        "datasets": [
            {"label": label, "date": None, "kind": kind, "values": scores, "shown": True}
            for (label, scores), kind in zip(examples, ("first", "latest"), strict=False)
        ],
    }


def stage_ticks(star):
    """The stages as the radar's scale labels: each named at its top score."""
    return [
        {"name": stage["name"], "min": stage["min_score"], "max": stage["max_score"]}
        for stage in star["stages"]
    ]


def _dataset(label, column, kind):
    return {
        "label": label,
        "date": column["date"],
        "kind": kind,
        "values": list(column["scores"]),
        "shown": kind in SHOWN_AT_FIRST,
    }


def _has_scores(dataset):
    return any(value is not None for value in dataset["values"])


def readings_rows(chart):
    """The readings table beside the radar: one row per domain, {"label", "cells"}, each cell a
    (score, stage name) pair per counted review, oldest first ((None, "") where not assessed).
    Worked out here, so a page's table is a plain loop rather than a stage look-up per cell in Jinja."""
    star = chart["star"]
    rows = []
    for row, domain in enumerate(chart["domains"]):
        scores = [column["scores"][row] for column in chart["columns"]]
        rows.append({"label": domain["label"], "cells": [(s, stage_name(star, s)) for s in scores]})
    return rows
