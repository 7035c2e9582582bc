"""The offline bundle's shape as the tablet reads it, shared by tests/test_offline_bundle.py and
bench/offline_bundle.py (no app imports: the bench compares bundles from two checkouts)."""


def with_scales_in_charts(bundle):
    """The bundle with each kept star's scale put back in its chart, as shell.js does."""
    scales = bundle.pop("chart_scales")
    for child in bundle["children"]:
        for record in child["services"].values():
            if record["chart"]:
                record["chart"] = scales[record["chart"].pop("scale")] | record["chart"]
    return bundle
