"""An attacker against the published feed: can a withheld count be worked out?

The attacker reads only what a feed client gets — the JSON of a financial year and of its four
quarters, every service, every domain row — and knows how the figures hang together. Each count
is a set of values it could be: a shown count is any whole number that rounds to it, a withheld
one 1–7 ("small_count") or 0 or 8 and more ("secondary"). It then narrows the sets to a fixpoint
with every identity it knows: rate × denominator, mean × denominator, the target split and its
total, a year's quarters adding up to the year, distinct children between the largest quarter and
the quarters' sum, a domain's children no more than the service's. The tests fail if any withheld
count is left with one possible value, or if any count of 1–7 can be seen.

This is written apart from outcomes/disclosure.py on purpose (sets of values, fractions), so that
the policy is checked by a second reading of the rules, not by itself.
"""

import os
import random
import tempfile
import uuid
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes import create_app, demo, disclosure, fft, gas, reviews, stars, tokens, users
from outcomes.db import connect

YEAR = "2025-26"
QUARTERS = [f"{YEAR} Q{n}" for n in (1, 2, 3, 4)]
SPLIT = ("targets_met", "targets_partly_met", "targets_not_met")
ADDITIVE = ("reviews", "reviews_on_time", "targets_closed", *SPLIT, "family_ratings")
DISTINCT = ("children_reviewed", "children_with_progress_data", "children_with_targets_closed")
RATES = {
    "pct_reviews_on_time": ("reviews_on_time", "reviews"),
    "pct_targets_met": ("targets_met", "targets_closed"),
    "pct_children_improved": (None, "children_with_progress_data"),
    "pct_reviews_with_child_view": (None, "reviews"),
    "pct_children_gas_50_or_more": (None, "children_with_targets_closed"),
    "pct_family_positive": (None, "family_ratings"),
    "pct_reviews_with_family_view": (None, "reviews"),
}
MEANS = {"mean_family_satisfaction": ("family_ratings", 1, 5)}
# Figures whose value says nothing countable (a mean of T-scores), but whose withholding says how
# many children are behind it.
SIZED = {"mean_gas_t_score": "children_with_targets_closed"}


def half_up(fraction, places):
    scaled = fraction * 10**places
    return Fraction(int(scaled + Fraction(1, 2)), 10**places)


def feed(client, token, breakdown=None):
    headers = {"Authorization": f"Bearer {token}"}
    query = {"breakdown": breakdown} if breakdown else {}
    return {
        label: client.get(
            "/api/v1/scorecard", query_string={"period": label, **query}, headers=headers
        ).get_json()
        for label in [YEAR, *QUARTERS]
    }


class Attacker:
    def __init__(self, cards):
        self.cards = cards
        policy = cards[YEAR]["disclosure"]  # the feed names its policy; the attacker reads it
        self.low, self.base = policy["withhold_below"], policy["round_to"]
        first = (cards[YEAR]["services"] or [{}])[0]
        self.by_age = first.get("breakdown", {}).get("by") == "age_band"
        # No count exceeds a year's, and a year's is at most four quarters' (each at most the largest
        # shown count + rounding): a ceiling that keeps the sets small without assuming anything.
        shown = [f["value"] for row in self._rows() for f in row[2].values() if isinstance(f["value"], int)]
        self.cap = 4 * (max(shown, default=0) + self.base) + self.low
        self.sets = {}
        self.withheld = set()
        self.seen_small = []
        for key, figures in self._row_figures():
            for name, figure in figures.items():
                if name.startswith(("pct_", "mean_")):
                    continue
                self.sets[(*key, name)] = self._possible(figure, (*key, name))

    def _rows(self):
        for label, card in self.cards.items():
            for service in card["services"]:
                yield label, service["key"], service["measures"], ""
                for row in service["domains"]:
                    yield label, service["key"], row["measures"], row["domain"]
                for group in service.get("breakdown", {}).get("groups", []):
                    yield label, service["key"], group["measures"], "group:" + group["group"]

    def _row_figures(self):
        for label, service, figures, domain in self._rows():
            yield (label, service, domain), figures

    def _possible(self, figure, key):
        if figure["suppressed"] and figure["reason"] == "small_count":
            self.withheld.add(key)
            return set(range(1, self.low))
        if figure["suppressed"]:
            self.withheld.add(key)
            return {0} | set(range(self.low, self.cap + 1))
        value = figure["value"]
        if 0 < value < self.low:
            self.seen_small.append((key, value))
        return {n for n in range(0, self.cap + 1) if half_up(Fraction(n, self.base), 0) * self.base == value}

    # --- what the attacker knows ---------------------------------------------------------------

    def constraints(self):
        sums, orders = [], []
        self.groups = {}
        for (label, service, domain), figures in self._row_figures():
            key = (label, service, domain)
            if "targets_closed" in figures:
                sums.append(((*key, "targets_closed"), [(*key, name) for name in SPLIT]))
            for small, large in (
                ("children_reviewed", "reviews"),
                ("reviews_on_time", "reviews"),
                ("children_with_progress_data", "children_reviewed"),
                ("children_with_targets_closed", "children_reviewed"),
                ("children_with_targets_closed", "targets_closed"),
            ):
                if small in figures and large in figures:
                    orders.append(((*key, small), (*key, large)))
            if domain.startswith("group:"):
                # A breakdown's groups cover every child once: their counts add up to the service's.
                for name in figures:
                    if (*key, name) in self.sets:
                        groups = self.groups.setdefault((label, service, name), [])
                        groups.append((*key, name))
            elif domain:
                orders.append(
                    (
                        (*key, "children_with_progress_data"),
                        (label, service, "", "children_with_progress_data"),
                    )
                )
            if label == YEAR and not (domain.startswith("group:") and self.by_age):
                # Age bands are taken at each period's end: their rows do not add up over quarters.
                for name in figures:
                    parts = [(quarter, service, domain, name) for quarter in QUARTERS]
                    if not all(part in self.sets for part in parts):
                        continue
                    if name in ADDITIVE:
                        sums.append(((*key, name), parts))
                    elif name in DISTINCT:
                        orders.extend((part, (*key, name)) for part in parts)
                        orders.append(("sum-of", (*key, name), parts))
        for (label, service, name), parts in self.groups.items():
            sums.append(((label, service, "", name), parts))
        return sums, orders

    def ratios(self):
        for (label, service, domain), figures in self._row_figures():
            key = (label, service, domain)
            for name, figure in figures.items():
                if name in RATES:
                    num, den = RATES[name]
                elif name in MEANS:
                    den, first, last = MEANS[name]
                    num = None
                elif name in SIZED:
                    den, num = SIZED[name], None
                else:
                    continue
                den_key = (*key, den)
                if figure["reason"] == "no_data":
                    yield ("exactly", den_key, {0})
                elif figure["reason"] == "small_count":
                    yield ("exactly", den_key, set(range(1, self.low)))
                elif figure["reason"] == "secondary":
                    yield ("exactly", den_key, set(range(1, self.cap + 1)))
                elif name in SIZED:
                    continue
                elif name in RATES:
                    yield ("rate", den_key, (*key, num) if num else None, Fraction(str(figure["value"])))
                else:
                    yield ("mean", den_key, (first, last), Fraction(str(figure["value"])))

    # --- working it out -------------------------------------------------------------------------

    def run(self):
        sums, orders = self.constraints()
        ratios = list(self.ratios())
        changed = True
        while changed:
            before = sum(len(s) for s in self.sets.values())
            for total, parts in sums:
                self._sum(total, parts)
            for order in orders:
                if order[0] == "sum-of":
                    _, total, parts = order
                    upper = sum(max(self.sets[p]) for p in parts)
                    self._keep(total, lambda n, upper=upper: n <= upper)
                else:
                    self._order(*order)
            for ratio in ratios:
                self._ratio(ratio)
            changed = sum(len(s) for s in self.sets.values()) != before
        return self

    def _order(self, small, large):
        top, bottom = max(self.sets[large]), min(self.sets[small])
        self._keep(small, lambda n: n <= top)
        self._keep(large, lambda n: n >= bottom)

    def _keep(self, key, test):
        self.sets[key] = {n for n in self.sets[key] if test(n)}
        assert self.sets[key], f"the published figures contradict each other at {key}"

    def _sum(self, total, parts):
        lows = [min(self.sets[p]) for p in parts]
        highs = [max(self.sets[p]) for p in parts]
        self._keep(total, lambda n: sum(lows) <= n <= sum(highs))
        t_low, t_high = min(self.sets[total]), max(self.sets[total])
        for index, part in enumerate(parts):
            others_low = sum(lows) - lows[index]
            others_high = sum(highs) - highs[index]
            self._keep(part, lambda n, a=others_low, b=others_high: t_low - b <= n <= t_high - a)

    def _ratio(self, ratio):
        if ratio[0] == "exactly":
            _, den, allowed = ratio
            self._keep(den, lambda n: n in allowed)
            return
        kind, den, extra, value = ratio
        good_dens, good_nums = set(), set()
        for d in self.sets[den]:
            if d == 0:
                continue
            if kind == "rate":
                candidates = self.sets[extra] if extra else range(0, d + 1)
                fits = {n for n in candidates if n <= d and half_up(Fraction(100 * n, d), 1) == value}
            else:
                first, last = extra
                fits = {s for s in range(first * d, last * d + 1) if half_up(Fraction(s, d), 2) == value}
            if fits:
                good_dens.add(d)
                good_nums |= fits
        self._keep(den, lambda n: n in good_dens)
        if kind == "rate" and extra:
            self._keep(extra, lambda n: n in good_nums)

    def recovered(self):
        return {key: self.sets[key] for key in self.withheld if len(self.sets[key]) == 1}

    def small_seen(self):
        exact_small = [
            (key, next(iter(s)))
            for key, s in self.sets.items()
            if len(s) == 1 and 0 < next(iter(s)) < self.low
        ]
        return self.seen_small + exact_small


def assert_safe(cards):
    attacker = Attacker(cards).run()
    assert attacker.recovered() == {}
    assert attacker.small_seen() == []
    return attacker


def new_app():
    folder = tempfile.mkdtemp()
    app = create_app({"TESTING": True, "DATABASE": os.path.join(folder, "t.sqlite"), "SECRET_KEY": "t"})
    return app


# --- generated histories ------------------------------------------------------------------------


def closing(rng, target_id):
    """A target closed at a random level (met, partly or not met read off it), or withdrawn."""
    if rng.random() < 0.2:
        return {"target_id": target_id, "outcome": "withdrawn", "gas_level": None, "reason": "Moved"}
    level = rng.choice(gas.LEVELS)
    return {"target_id": target_id, "outcome": gas.outcome_of(level), "gas_level": level, "reason": None}


def store_history(db, children, seed):
    """`children` review histories for slt and physio from January 2025 to March 2026."""
    rng = random.Random(seed)
    services = stars.create_default_services(db)
    staff = users.create_user(db, "p@test.example", "P", "practitioner", password_hash="x")
    family = users.create_user(db, "f@test.example", "F", "family", password_hash="x")
    for key in ("slt", "physio"):
        db["memberships"].insert({"user_id": staff, "service_id": services[key], "role": "practitioner"})
    domains = {
        key: [
            d["key"] for d in stars.load_version(db, stars.current_version_id(db, services[key]))["domains"]
        ]
        for key in ("slt", "physio")
    }
    domain_ids = {
        key: [d["id"] for d in stars.load_version(db, stars.current_version_id(db, services[key]))["domains"]]
        for key in ("slt", "physio")
    }
    for number, gaps in enumerate(children):
        child = (
            db["children"]
            .insert({"given_name": f"C{number}", "family_name": "X", "date_of_birth": "2015-01-01"})
            .last_pk
        )
        key = "slt" if number % 3 else "physio"
        db["caseloads"].insert({"child_id": child, "service_id": services[key], "started_on": "2024-01-01"})
        day, open_target = date(2025, 1, 1) + timedelta(days=rng.randrange(120)), None
        for gap in gaps:
            day += timedelta(days=gap)
            if day > date(2026, 3, 31):
                break
            readings = {d: {"score": rng.randint(1, 10), "not_assessed_reason": None} for d in domains[key]}
            data = {
                "uuid": uuid.uuid4(),
                "child_id": child,
                "service": key,
                "date": day,
                "readings": readings,
                "targets": [
                    {
                        "domain": domains[key][0],
                        "description": "Work on it",
                        # A target is never below today's reading (equal: maintain it).
                        "target_score": max(8, readings[domains[key][0]]["score"]),
                        "due_date": None,
                        "importance": rng.choice([None, 1, 2, 3]),
                        "difficulty": rng.choice([None, 1, 2, 3]),
                    }
                ],
                "target_outcomes": [] if open_target is None else [closing(rng, open_target)],
                "notes": "",
                "internal_notes": "",
                "submit": True,
            }
            review, _ = reviews.save_review(db, staff, data)
            open_target = review["targets"][0]["id"]
            if rng.random() < 0.5:
                hour = rng.choice(["00:30:00", "12:00:00", "23:30:00"])
                answer = rng.choice(list(fft.LABELS))
                view = (
                    db["family_views"]
                    .insert(
                        {
                            "review_id": review["id"],
                            "user_id": family,
                            "rating": fft.score_of(answer),
                            "fft_answer": answer,
                            "created_at": f"{day + timedelta(days=rng.randrange(3))} {hour}",
                        }
                    )
                    .last_pk
                )
                for domain_id in rng.sample(domain_ids[key], rng.randrange(len(domain_ids[key]) + 1)):
                    db["family_view_readings"].insert(
                        {"family_view_id": view, "domain_id": domain_id, "score": rng.randint(1, 10)}
                    )


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    children=st.lists(st.lists(st.integers(20, 200), min_size=1, max_size=6), min_size=1, max_size=40),
    seed=st.integers(0, 1000),
)
def test_no_withheld_count_can_be_worked_out_from_generated_histories(children, seed):
    app = new_app()
    db = connect(app.config["DATABASE"])
    store_history(db, children, seed)
    token = tokens.create_token(db, "attacker")
    db.close()
    assert_safe(feed(app.test_client(), token))


@pytest.fixture(scope="module")
def demo_feed():
    """The seeded demo behind the feed, and a token for it (shared: seeding is the slow part)."""
    app = new_app()
    db = connect(app.config["DATABASE"])
    demo.seed(db, "outcomes-demo", today=date(2026, 4, 20))
    token = tokens.create_token(db, "attacker")
    db.close()
    return app, token


def test_no_withheld_count_can_be_worked_out_from_the_demo(demo_feed):
    app, token = demo_feed
    attacker = assert_safe(feed(app.test_client(), token))
    assert len(attacker.withheld) > 20, "the demo has small numbers: the attacker had something to try"


def test_no_withheld_count_can_be_worked_out_with_the_age_breakdown(demo_feed):
    app, token = demo_feed
    cards = feed(app.test_client(), token, "age_band")
    attacker = assert_safe(cards)
    assert any(key[2].startswith("group:") for key in attacker.withheld)


def test_the_old_rule_lets_the_attacker_recover_counts(demo_feed):
    """The attacker is not toothless: against each figure withheld on its own (the old rule) it wins."""
    app, token = demo_feed
    app.config["DISCLOSURE_POLICY"] = "threshold5"
    try:
        attacker = Attacker(feed(app.test_client(), token)).run()
    finally:
        app.config["DISCLOSURE_POLICY"] = "nhs"
    assert len(attacker.recovered()) > 10


def test_rounding_alone_does_not_stop_the_attacker(demo_feed, monkeypatch):
    """Without complementary suppression, NHS rounding still gives withheld counts away."""
    app, token = demo_feed
    monkeypatch.setitem(disclosure.POLICIES, "nhs", disclosure.Policy("nhs", 8, 5, secondary=False))
    attacker = Attacker(feed(app.test_client(), token)).run()
    assert len(attacker.recovered()) > 5


# --- hand-worked rules of the policy ------------------------------------------------------------

NHS = disclosure.POLICIES["nhs"]


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, (0, None)),
        (1, (None, "small_count")),
        (7, (None, "small_count")),
        (8, (10, None)),
        (12, (10, None)),
        (13, (15, None)),
        (22, (20, None)),
        (23, (25, None)),
    ],
)
def test_counts_1_to_7_are_withheld_and_others_rounded_to_the_nearest_5(count, shown):
    decision = disclosure.protect(disclosure.Problem(counts={"n": count}), NHS)["n"]
    assert (decision["value"], decision["reason"]) == shown


def test_percentages_and_means_round_half_up():
    assert disclosure.rate(5, 16) == 31.3  # 31.25: half-to-even would say 31.2
    assert disclosure.rate(1, 8) == 12.5
    assert disclosure.round_half_up(2.125, 2) == 2.13  # the float 2.125 is exact; half up gives .13
    assert disclosure.round_half_up(-0.125, 2) == -0.13  # half away from zero for a fall


def split(closed, met, partly, not_met):
    problem = disclosure.Problem(
        counts={"closed": closed, "met": met, "partly": partly, "not": not_met},
        ratios={"pct": disclosure.Ratio(disclosure.rate(met, closed), den="closed", num="met")},
        sums=[("closed", ["met", "partly", "not"])],
    )
    return problem


def test_worked_example_the_target_split_and_its_total():
    """docs/scorecard.md: 22 closed = 1 met + 13 partly + 8 not met."""
    problem = split(22, 1, 13, 8)
    alone = disclosure.protect(problem, disclosure.Policy("nhs", 8, 5, secondary=False))
    shown = {k: d["value"] for k, d in alone.items() if d["value"] is not None and k != "pct"}
    assert shown == {"closed": 20, "partly": 15, "not": 10}
    withheld = {"met": "small_count"}
    bounds = disclosure.reader_bounds(problem, NHS, shown, withheld, alone)
    assert bounds["met"] == [1, 1]  # worked out exactly: 22 - 13 - 8
    decided = disclosure.protect(problem, NHS)
    assert {k: d["reason"] for k, d in decided.items()} == {
        "closed": "secondary",
        "met": "small_count",
        "partly": None,
        "not": None,
        "pct": "secondary",
    }


def test_a_year_and_its_quarters_are_protected_together():
    """Quarters 13, 8, 1 and 0 reviews, a year of 22: the year less two quarters gives the third."""
    counts = {"year": 22, "q1": 13, "q2": 8, "q3": 1, "q4": 0}
    problem = disclosure.Problem(counts=counts, sums=[("year", ["q1", "q2", "q3", "q4"])])
    decided = disclosure.protect(problem, NHS)
    assert decided["q3"]["reason"] == "small_count"
    assert decided["year"]["reason"] == "secondary"
    assert (decided["q1"]["value"], decided["q2"]["value"], decided["q4"]["value"]) == (15, 10, 0)


@pytest.mark.parametrize(
    ("met", "closed", "reason"),
    [(0, 0, "no_data"), (3, 6, "small_count"), (3, 20, "secondary"), (18, 20, "secondary"), (10, 20, None)],
)
def test_a_rate_is_withheld_when_it_would_give_a_small_number_away(met, closed, reason):
    problem = disclosure.Problem(
        counts={"closed": closed},
        hidden={"met": met},
        ratios={"pct": disclosure.Ratio(disclosure.rate(met, closed), den="closed", num="met")},
    )
    assert disclosure.protect(problem, NHS)["pct"]["reason"] == reason
