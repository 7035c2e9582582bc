"""The scorecard's measures on the hand-built history of scorecard_data.py (read its docstring
first: every expected figure below is worked out from that table)."""

from datetime import date

import pytest
from scorecard_data import build, save

from outcomes import disclosure, periods, rules, scorecard, stars
from outcomes import services as services_module

Q3 = periods.parse("2025-26 Q3")  # 1 Oct - 31 Dec 2025
Q4 = periods.parse("2025-26 Q4")  # 1 Jan - 31 Mar 2026
NEXT_Q1 = periods.parse("2026-27 Q1")  # 1 Apr - 30 Jun 2026
YEAR = periods.parse("2025-26")  # 1 Apr 2025 - 31 Mar 2026


@pytest.fixture
def history(db, world):
    child, reviews = build(db, world)
    services = {row["key"]: row for row in scorecard.services(db)}
    return services, child, reviews


def shown_names(figures):
    """The measures without the numerators kept for disclosure control ("_improved")."""
    return {name: value for name, value in figures.items() if not name.startswith("_")}


def raw(db, service, period):
    figures, domains = scorecard.compute(db, service, period)
    return shown_names(figures), {row["domain"]: shown_names(row["figures"]) for row in domains}


# --- Periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2025-26 Q1", "2025-04-01", "2025-06-30"),
        ("2025-26 Q2", "2025-07-01", "2025-09-30"),
        ("2025-26 Q3", "2025-10-01", "2025-12-31"),
        ("2025-26 Q4", "2026-01-01", "2026-03-31"),
        ("2025-26", "2025-04-01", "2026-03-31"),
        ("1999-00", "1999-04-01", "2000-03-31"),
    ],
)
def test_financial_periods(label, start, end):
    period = periods.parse(label)
    assert (period.label, period.start.isoformat(), period.end.isoformat()) == (label, start, end)


@pytest.mark.parametrize(
    "label", ["2025-27", "2025-26 Q5", "2025-26 Q0", "Q3", "", "2025/26", "2025-26Q3", "26-27"]
)
def test_unknown_period_says_what_is_accepted(label):
    with pytest.raises(
        ValueError, match=r"financial quarter such as '2025-26 Q3'.*financial year such as '2025-26'"
    ):
        periods.parse(label)


def test_quarter_of_a_day_and_the_eight_quarters_to_a_period():
    assert periods.quarter_containing(date(2026, 3, 31)).label == "2025-26 Q4"
    assert periods.quarter_containing(date(2026, 4, 1)).label == "2026-27 Q1"
    assert periods.year_containing(date(2026, 3, 31)).label == "2025-26"
    assert [q.label for q in periods.quarters_up_to(Q3, 8)] == [
        "2023-24 Q4",
        "2024-25 Q1",
        "2024-25 Q2",
        "2024-25 Q3",
        "2024-25 Q4",
        "2025-26 Q1",
        "2025-26 Q2",
        "2025-26 Q3",
    ]
    # A year's eight quarters end with its Q4.
    assert periods.quarters_up_to(YEAR, 8)[-1] == Q4
    assert periods.default_period(date(2026, 11, 23)).label == "2026-27 Q2"


# --- Every measure, unsuppressed ------------------------------------------------------------


def test_every_measure_for_a_quarter(db, history):
    services, _, _ = history
    figures, domains = raw(db, services["slt"], Q4)
    assert figures == {
        # A2 (31 March), C1, D2 (its amendment only), E2, G2; F's draft never counts.
        "reviews": 5,
        "children_reviewed": 5,
        # A2 is late (due 2 March); C1 is a first review, on time; D2, E2, G2 before their due dates.
        "reviews_on_time": 4,
        "pct_reviews_on_time": 80.0,
        # A talking met, A attention partly met, D not met, E attention not met, G met;
        # E's withdrawn one is left out.
        "targets_closed": 5,
        "targets_met": 2,
        "targets_partly_met": 1,
        "targets_not_met": 2,
        "pct_targets_met": 40.0,
        # A 3->5 (+2), D 2->6 (+4, the amended reading), E 5->4 (-1), G 3->3 (0); C has no earlier review.
        "children_with_progress_data": 4,
        "mean_distance_travelled": 1.25,
        "pct_children_improved": 50.0,
        # A +2 and D +4 moved at least the star's meaningful change (1 point) up, E -1 down.
        "pct_children_meaningful_improvement": 50.0,
        "pct_children_meaningful_decline": 25.0,
        # Goal attainment (levels from the outcomes: met 0, partly met -1, not met -2): A (0, -1)
        # T = 50 - 10/sqrt(0.7*2 + 0.3*4) = 43.80, D (-2) 30, E (-2) 30, G (0) 50; mean 38.45, and
        # only G at 50 or more.
        "children_with_targets_closed": 4,
        "mean_gas_t_score": 38.45,
        "pct_children_gas_50_or_more": 25.0,
        # A's 4 (23:59:59 UK time on 31 March), E's 2, D's 3 (moved to the amendment);
        # C's comment has no rating.
        "family_ratings": 3,
        "mean_family_satisfaction": 3.0,
        # A2, C1 and D2 (its view kept by the amendment) of the 5 reviews: 3 / 5; F's draft never counts.
        "pct_reviews_with_child_view": 60.0,
        # Only A's 4 is "good" (or better): 1 of 3.
        "pct_family_positive": 33.3,
        # A2, C1 (a comment), D2 and E2 have a family view; G2 has none: 4 of 5.
        "pct_reviews_with_family_view": 80.0,
        # No family gave readings of their own: nothing to compare.
        "pct_family_view_agreement": None,
    }
    # Talking: the same four children. Eating and drinking: G's first reading was not assessed,
    # so A +2, D +4, E -1: mean 5/3 = 1.67, two of three improved.
    assert domains["talking"] == {
        "children_with_progress_data": 4,
        "mean_distance_travelled": 1.25,
        "pct_children_improved": 50.0,
        "pct_children_meaningful_improvement": 50.0,
        "pct_children_meaningful_decline": 25.0,
        "pct_family_view_agreement": None,
    }
    assert domains["eating_drinking"] == {
        "children_with_progress_data": 3,
        "mean_distance_travelled": 1.67,
        "pct_children_improved": 66.7,
        "pct_children_meaningful_improvement": 66.7,
        "pct_children_meaningful_decline": 33.3,
        "pct_family_view_agreement": None,
    }
    assert list(domains) == [
        "attention",
        "understanding",
        "talking",
        "speech_sounds",
        "social_communication",
        "eating_drinking",
    ]


def test_every_measure_for_a_year(db, history):
    services, _, _ = history
    figures, domains = raw(db, services["slt"], YEAR)
    assert figures == {
        # A1, A2, B1, C1, D1, D2 (amended), E1, E2, G1, G2; B2 on 1 April is next year's.
        "reviews": 10,
        "children_reviewed": 6,
        # Every first review is on time; only A2 is late.
        "reviews_on_time": 9,
        "pct_reviews_on_time": 90.0,
        "targets_closed": 5,
        "targets_met": 2,
        "targets_partly_met": 1,
        "targets_not_met": 2,
        "pct_targets_met": 40.0,
        # B's latest review up to 31 March is its first, so B has no distance yet: A, D, E, G as above.
        "children_with_progress_data": 4,
        "mean_distance_travelled": 1.25,
        "pct_children_improved": 50.0,
        "pct_children_meaningful_improvement": 50.0,
        "pct_children_meaningful_decline": 25.0,
        "children_with_targets_closed": 4,
        "mean_gas_t_score": 38.45,
        "pct_children_gas_50_or_more": 25.0,
        "family_ratings": 3,
        "mean_family_satisfaction": 3.0,
        # E1 in Q3 and A2, C1, D2 in Q4: 4 of 10. D2's first version holds the same view but
        # no longer counts, so the amendment does not count it twice.
        "pct_reviews_with_child_view": 40.0,
        "pct_family_positive": 33.3,
        # The same four reviews with a family view, of ten.
        "pct_reviews_with_family_view": 40.0,
        "pct_family_view_agreement": None,
    }
    assert domains["talking"]["children_with_progress_data"] == 4


def test_first_of_april_belongs_to_the_next_year(db, history):
    services, _, _ = history
    figures, _ = raw(db, services["slt"], NEXT_Q1)
    assert figures == {
        # B2 on 1 April 2026, due on 1 April (1 October + 182 days): on time on its due date.
        "reviews": 1,
        "children_reviewed": 1,
        "reviews_on_time": 1,
        "pct_reviews_on_time": 100.0,
        "targets_closed": 1,
        "targets_met": 1,
        "targets_partly_met": 0,
        "targets_not_met": 0,
        "pct_targets_met": 100.0,
        # B 4 -> 6.
        "children_with_progress_data": 1,
        "mean_distance_travelled": 2.0,
        "pct_children_improved": 100.0,
        "pct_children_meaningful_improvement": 100.0,
        "pct_children_meaningful_decline": 0.0,
        # B's target met (level 0): T = 50.
        "children_with_targets_closed": 1,
        "mean_gas_t_score": 50.0,
        "pct_children_gas_50_or_more": 100.0,
        # B's 5, given at 00:00:01 UK time on 1 April (23:00:01 UTC on 31 March): very good.
        "family_ratings": 1,
        "mean_family_satisfaction": 5.0,
        # B2 has no child's view.
        "pct_reviews_with_child_view": 0.0,
        "pct_family_positive": 100.0,
        "pct_reviews_with_family_view": 100.0,
        "pct_family_view_agreement": None,
    }


def test_first_reviews_only(db, history):
    services, _, _ = history
    figures, _ = raw(db, services["slt"], Q3)
    # B1, E1, G1: all first reviews, so all on time; nothing closed, no distance yet.
    assert (
        figures["reviews"],
        figures["reviews_on_time"],
        figures["targets_closed"],
        figures["children_with_progress_data"],
    ) == (3, 3, 0, 0)
    assert figures["pct_targets_met"] is None and figures["mean_distance_travelled"] is None


def test_only_the_latest_version_of_an_amended_review_counts(db, history):
    services, child, reviews = history
    # Without the amendment D would be 2 -> 4 and the mean (2 + 2 - 1 + 0) / 4 = 0.75.
    figures, _ = raw(db, services["slt"], Q4)
    assert figures["mean_distance_travelled"] == 1.25
    assert db.execute("SELECT count(*) FROM reviews WHERE child_id = ?", [child["D"]]).fetchone()[0] == 3
    assert reviews.d2_amended["version"] == 2


def test_a_draft_never_counts(db, history):
    services, child, _ = history
    figures, _ = raw(db, services["slt"], Q4)
    before = figures["reviews"]
    # Submitting F's draft (10 February, a first review) adds one review, on time.
    db.execute("UPDATE reviews SET status = 'submitted' WHERE child_id = ?", [child["F"]])
    figures, _ = raw(db, services["slt"], Q4)
    assert (before, figures["reviews"], figures["reviews_on_time"]) == (5, 6, 5)


@pytest.mark.parametrize(
    ("created_at", "quarter"),
    [
        ("2025-09-30 23:30:00", "2025-26 Q3"),  # 00:30 BST on 1 October: the UK date is 1 October
        ("2025-09-30 22:59:59", "2025-26 Q2"),  # 23:59:59 BST on 30 September
        ("2025-12-31 23:30:00", "2025-26 Q3"),  # GMT in winter: the UK date is the UTC date
        ("2026-01-01 00:00:00", "2025-26 Q4"),
    ],
)
def test_ratings_fall_in_quarters_by_their_uk_date(db, history, created_at, quarter):
    services, _, reviews = history
    db["family_views"].insert(
        {"review_id": reviews.c1["id"], "user_id": 1, "rating": 5, "created_at": created_at}
    )
    counts = {
        label: raw(db, services["slt"], periods.parse(label))[0]["family_ratings"]
        for label in ("2025-26 Q2", "2025-26 Q3", "2025-26 Q4")
    }
    before = {"2025-26 Q2": 0, "2025-26 Q3": 0, "2025-26 Q4": 3}
    assert {label: counts[label] - before[label] for label in counts} == {
        label: int(label == quarter) for label in counts
    }


def test_period_bounds_in_utc_follow_british_summer_time():
    assert periods.utc_bounds(periods.parse("2025-26 Q3")) == ("2025-09-30 23:00:00", "2026-01-01 00:00:00")
    assert periods.utc_bounds(periods.parse("2025-26 Q4")) == ("2026-01-01 00:00:00", "2026-03-31 23:00:00")


def test_meaningful_change_uses_the_stars_threshold(db, history):
    services, _, _ = history
    # Q4 distances: A +2, D +4, E -1, G 0. With a threshold of 2.5 only D's +4 counts, and no fall.
    db.execute("UPDATE stars SET meaningful_change = 2.5 WHERE id = ?", [services["slt"]["star_id"]])
    service = next(row for row in scorecard.services(db) if row["key"] == "slt")
    figures, _ = raw(db, service, Q4)
    assert (figures["pct_children_meaningful_improvement"], figures["pct_children_meaningful_decline"]) == (
        25.0,
        0.0,
    )
    # A threshold of exactly the distance counts (at least the threshold): 2 points takes A and D.
    db.execute("UPDATE stars SET meaningful_change = 2 WHERE id = ?", [services["slt"]["star_id"]])
    service = next(row for row in scorecard.services(db) if row["key"] == "slt")
    assert raw(db, service, Q4)[0]["pct_children_meaningful_improvement"] == 50.0


# --- Review intervals kept with the date they took effect ------------------------------------


def test_due_date_uses_the_interval_in_force_on_the_due_date():
    assert rules.due_date_in_force("2025-03-01", [("0001-01-01", 182)]) == date(2025, 8, 30)
    # 182 days, then 91 from 1 June 2025 (rules.py's worked example): due on 1 June.
    shorter = [("0001-01-01", 182), ("2025-06-01", 91)]
    assert rules.due_date_in_force("2025-03-01", shorter) == date(2025, 6, 1)
    assert rules.due_date_in_force("2025-02-01", shorter) == date(2025, 6, 1)
    assert rules.due_date_in_force("2024-11-30", shorter) == date(2025, 5, 31)  # 182 days end first
    # 91 days, then 182 from 1 June: a review on 1 April is due 182 days on (30 September).
    longer = [("0001-01-01", 91), ("2025-06-01", 182)]
    assert rules.due_date_in_force("2025-04-01", longer) == date(2025, 9, 30)
    assert rules.due_date_in_force("2025-02-01", longer) == date(2025, 5, 3)


@pytest.mark.parametrize("previous", ["2024-12-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-07-01"])
def test_the_sql_due_date_agrees_with_the_python_one(db, world, previous):
    service = world.services["slt"]
    services_module.update_service(
        db, service, {"name": "Speech", "review_interval_days": 91}, date(2025, 6, 1)
    )
    intervals = db.execute(
        "SELECT effective_from, review_interval_days FROM service_intervals WHERE service_id = ?", [service]
    ).fetchall()
    assert intervals == [("0001-01-01", 182), ("2025-06-01", 91)]
    sql = f"SELECT {rules.due_date_in_force_sql(':previous', ':service')}"
    found = db.execute(sql, {"previous": previous, "service": service}).fetchone()[0]
    assert found == rules.due_date_in_force(previous, intervals).isoformat()


def test_changing_the_interval_does_not_rewrite_past_quarters(db, history):
    services, _, _ = history
    assert raw(db, services["slt"], YEAR)[0]["reviews_on_time"] == 9
    # From 2 April 2026 the service reviews every 30 days: 2025-26 is judged by the 182 days.
    services_module.update_service(
        db, services["slt"]["id"], {"name": "Speech", "review_interval_days": 30}, date(2026, 4, 2)
    )
    assert raw(db, services["slt"], YEAR)[0]["reviews_on_time"] == 9


def test_a_shorter_interval_applies_from_the_day_it_took_effect(db, history):
    services, _, _ = history
    assert raw(db, services["slt"], Q4)[0]["reviews_on_time"] == 4
    services_module.update_service(
        db, services["slt"]["id"], {"name": "Speech", "review_interval_days": 30}, date(2026, 1, 1)
    )
    # D2 (20 Jan), E2 (15 Feb) and G2 (1 Mar) were each more than 30 days after the previous review
    # on 1 January: due that day, so late. A2 was late already; C1 is a first review.
    assert raw(db, services["slt"], Q4)[0]["reviews_on_time"] == 1


# --- Suppression: published figures ---------------------------------------------------------


def published(db, period, policy="threshold5", key="slt"):
    card = scorecard.scorecard(db, scorecard.services(db), period, disclosure.POLICIES[policy])
    return next(service for service in card["services"] if service["key"] == key)


def test_the_old_rule_withholds_each_figure_on_its_own(db, history):
    measures = published(db, Q4)["measures"]
    figure = {name: (value["value"], value["reason"]) for name, value in measures.items()}
    assert figure["children_reviewed"] == (5, None)  # a count of 5 is shown
    assert figure["reviews_on_time"] == (None, "small_count")  # a count of 4 is not
    assert figure["pct_reviews_on_time"] == (80.0, None)  # a rate over 5 reviews is shown
    assert figure["targets_closed"] == (5, None)
    assert figure["targets_met"] == (None, "small_count")  # 2
    assert figure["targets_partly_met"] == (None, "small_count")  # 1
    assert figure["pct_targets_met"] == (40.0, None)  # over 5 targets
    assert figure["children_with_progress_data"] == (None, "small_count")
    assert figure["mean_distance_travelled"] == (None, "small_count")  # a mean over 4 children
    assert figure["pct_children_improved"] == (None, "small_count")  # a rate with a denominator of 4
    assert figure["family_ratings"] == (None, "small_count")
    assert figure["mean_family_satisfaction"] == (None, "small_count")


def test_the_nhs_rule_withholds_every_count_of_1_to_7(db, history):
    measures = published(db, Q4, policy="nhs")["measures"]
    figure = {name: (value["value"], value["reason"]) for name, value in measures.items()}
    assert figure["children_reviewed"] == (None, "small_count")  # 5
    assert figure["reviews"] == (None, "small_count")  # 5
    assert figure["pct_reviews_on_time"] == (None, "small_count")  # over 5 reviews: fewer than 8
    assert figure["targets_closed"] == (None, "small_count")
    # The year: 10 reviews are published as 10, 9 on time rounds to 10 (8 .. 12 could round to 10).
    year = {
        name: (value["value"], value["reason"])
        for name, value in published(db, YEAR, "nhs")["measures"].items()
    }
    assert year["reviews"] == (10, None)
    assert year["reviews_on_time"] == (10, None)
    # 9 of 10 on time: the one late review could be worked out from the rate, so the rate is hidden.
    assert year["pct_reviews_on_time"] == (None, "secondary")


def test_zero_is_shown_and_a_rate_of_nothing_says_no_data(db, history):
    for policy in ("threshold5", "nhs"):
        measures = published(db, Q4, policy=policy, key="physio")["measures"]
        for name, _, kind, _ in scorecard.MEASURES:
            if kind == "count":
                assert measures[name] == {
                    "perspective": measures[name]["perspective"],
                    "value": 0,
                    "suppressed": False,
                    "reason": None,
                }
            else:
                assert (measures[name]["value"], measures[name]["suppressed"]) == (None, False)
                assert measures[name]["reason"] == "no_data"


def test_domain_rows_are_suppressed_too(db, history):
    rows = {row["domain"]: row["measures"] for row in published(db, Q4)["domains"]}
    assert rows["eating_drinking"]["children_with_progress_data"] == {
        "perspective": "impact",
        "value": None,
        "suppressed": True,
        "reason": "small_count",
    }


def test_every_measure_carries_its_perspective(db, history):
    measures = published(db, Q4)["measures"]
    assert {name: figure["perspective"] for name, figure in measures.items()} == {
        "children_reviewed": "compliance",
        "reviews": "compliance",
        "reviews_on_time": "compliance",
        "pct_reviews_on_time": "compliance",
        "targets_closed": "impact",
        "targets_met": "impact",
        "targets_partly_met": "impact",
        "targets_not_met": "impact",
        "pct_targets_met": "impact",
        "children_with_progress_data": "impact",
        "mean_distance_travelled": "impact",
        "pct_children_improved": "impact",
        "pct_children_meaningful_improvement": "impact",
        "pct_children_meaningful_decline": "impact",
        "children_with_targets_closed": "impact",
        "mean_gas_t_score": "impact",
        "pct_children_gas_50_or_more": "impact",
        "family_ratings": "effectiveness",
        "mean_family_satisfaction": "effectiveness",
        "pct_reviews_with_child_view": "effectiveness",
        "pct_family_positive": "effectiveness",
        "pct_reviews_with_family_view": "effectiveness",
        "pct_family_view_agreement": "effectiveness",
    }


def test_trend_of_targets_met_over_eight_quarters(db, history):
    services = scorecard.services(db)
    trend = scorecard.trend(db, services, NEXT_Q1, disclosure.POLICIES["threshold5"])
    assert trend["quarters"][-2:] == ["2025-26 Q4", "2026-27 Q1"]
    slt = [
        (figures["pct_targets_met"]["value"], figures["pct_targets_met"]["reason"])
        for figures in trend["services"]["slt"]
    ]
    # Nothing closed before 2025-26 Q4 ("none"); 2 of 5 met in Q4; B's one target in Q1: too few to show.
    assert slt == [(None, "no_data")] * 6 + [(40.0, None), (None, "small_count")]


# --- The queries use indexes ------------------------------------------------------------------

CTES = {
    "period_reviews",
    "period_children",
    "firsts",
    "progress",
    "distances",
    "by_domain",
    "domain_distances",
    "c",
    "p",
    "b",
}


@pytest.mark.parametrize(
    "name", ["ACTIVITY_SQL", "TARGETS_SQL", "PROGRESS_SQL", "FAMILY_SQL", "CHILD_VIEW_SQL"]
)
def test_queries_search_indexes_rather_than_scan_tables(db, history, name):
    services, _, _ = history
    plan = [
        row[3]
        for row in db.execute(
            "EXPLAIN QUERY PLAN " + getattr(scorecard, name), scorecard._params(services["slt"], Q4)
        )
    ]
    scans = [
        line
        for line in plan
        if line.startswith("SCAN") and line.split()[1] not in CTES and not line.startswith("SCAN (subquery")
    ]
    assert scans == [], plan
    assert any("USING" in line and "INDEX" in line for line in plan)


def test_domains_match_on_their_key_across_star_versions(db, world):
    """A child first reviewed on the star's version 1 and last on version 2, which drops
    eating_drinking and adds play: the five shared domains compare on their keys."""
    child = (
        db["children"]
        .insert({"given_name": "Hester", "family_name": "Scorecard", "date_of_birth": "2016-01-01"})
        .last_pk
    )
    db["caseloads"].insert(
        {"child_id": child, "service_id": world.services["slt"], "started_on": "2025-01-01"}
    )
    save(db, world.slt, child, "2025-09-01", 2)  # every version 1 domain at 2
    star_id = db.execute("SELECT star_id FROM services WHERE key = 'slt'").fetchone()[0]
    version_1 = [
        (d["key"], d["label"], d["description"])
        for d in stars.load_version(db, stars.current_version_id(db, world.services["slt"]))["domains"]
    ]
    version_2 = [d for d in version_1 if d[0] != "eating_drinking"] + [
        ("play", "Play", "How your child plays.")
    ]
    stars.add_version(db, star_id, 2, version_2, stars.DEFAULT_STAGES, (1, 10), True)
    save(db, world.slt, child, "2026-02-01", 5, keys=[d[0] for d in version_2])  # every version 2 domain at 5
    service = next(row for row in scorecard.services(db) if row["key"] == "slt")
    figures, domains = raw(db, service, Q4)
    # Means over each review's own assessed domains: 5 - 2 = +3.
    assert (figures["children_with_progress_data"], figures["mean_distance_travelled"]) == (1, 3.0)
    assert list(domains) == [d[0] for d in version_2]  # the current version's domains, in its order
    for key in ("attention", "understanding", "talking", "speech_sounds", "social_communication"):
        assert domains[key] == {
            "children_with_progress_data": 1,
            "mean_distance_travelled": 3.0,
            "pct_children_improved": 100.0,
            "pct_children_meaningful_improvement": 100.0,
            "pct_children_meaningful_decline": 0.0,
            "pct_family_view_agreement": None,
        }
    # Play has no first reading to compare with.
    assert domains["play"]["children_with_progress_data"] == 0


def test_two_counted_reviews_on_one_date_the_higher_id_is_the_later(db, world):
    """History imported before one review a day: the later of a date's two reviews is the higher id,
    for distance travelled as for the star (2 -> 3 -> 6 by id, all on or after 1 May: +4 from first)."""
    child = (
        db["children"]
        .insert({"given_name": "Tia", "family_name": "Sameday", "date_of_birth": "2016-01-01"})
        .last_pk
    )
    db["caseloads"].insert(
        {"child_id": child, "service_id": world.services["slt"], "started_on": "2024-01-01"}
    )
    save(db, world.slt, child, "2025-04-10", 2)
    save(db, world.slt, child, "2025-05-01", 3)
    later = save(db, world.slt, child, "2025-05-02", 6)
    # The import's old history: move the third onto the second's date, as two same-day reviews.
    db.execute("UPDATE reviews SET date = '2025-05-01' WHERE id = ?", [later["id"]])
    slt = next(s for s in scorecard.services(db) if s["key"] == "slt")
    figures, _ = scorecard.compute(db, slt, periods.parse("2025-26 Q1"))
    assert figures["children_with_progress_data"] == 1
    assert figures["mean_distance_travelled"] == 4.0  # 6 at the higher id, not 3
    assert figures["reviews_on_time"] == 3  # the same-day one follows the other on time
