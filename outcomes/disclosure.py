"""Disclosure control: the one place where computed figures become publishable ones.

A policy (app setting DISCLOSURE_POLICY) says which counts are withheld, how the others are
rounded and whether complementary ("secondary") suppression applies. `protect` takes every
figure of one service's financial year and its four quarters at once, with the identities that
tie them together, so that the feed asked for a quarter and the feed asked for the year make the
same decisions. It then plays the reader: from the published figures alone it works out the
range each withheld count must lie in (sums, inequalities, rate × denominator, mean ×
denominator, to a fixpoint) and withholds one more figure whenever a withheld count would be
pinned to a single value. No Flask imports.
"""

import functools
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

INFINITY = 10**9
# Enough passes for the ranges to settle on scorecard-sized problems; the attacker test (which runs
# to a true fixpoint) checks that nothing it can work out was missed.
PASSES = 30


@dataclass(frozen=True)
class Policy:
    name: str
    withhold_below: int  # counts 1 .. withhold_below-1 are withheld; rates/means need this denominator
    round_to: int  # other counts are rounded half up to a multiple of this (1: not rounded)
    secondary: bool  # complementary suppression wherever published figures would reveal a withheld one

    def as_dict(self):
        return {
            "policy": self.name,
            "withhold_below": self.withhold_below,
            "round_to": self.round_to,
            "secondary": self.secondary,
        }


POLICIES = {
    # NHS Digital's rule for sub-national figures (OpenSAFELY does the same).
    "nhs": Policy("nhs", withhold_below=8, round_to=5, secondary=True),
    # The rule this project had first: each figure on its own, no rounding.
    "threshold5": Policy("threshold5", withhold_below=5, round_to=1, secondary=False),
}


def policy_named(name):
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(f"Unknown DISCLOSURE_POLICY '{name}'. Accepted: {', '.join(POLICIES)}.") from None


def round_half_up(value, places):
    """`value` (int, float, Fraction-like) rounded half up to `places` decimals, as a float."""
    exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def rate(part, whole):
    """A percentage with one decimal, half up; None for a rate of nothing."""
    if not whole:
        return None
    return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def round_count(value, base):
    """A count rounded half up to a multiple of `base`."""
    return base * math.floor(Decimal(value) / base + Decimal("0.5"))


def published_range(value, base):
    """The whole numbers a count published as `value` (rounded to `base`) can really be."""
    if value == 0:
        return 0, 0
    return math.ceil(value - base / 2), math.ceil(value + base / 2) - 1


@dataclass
class Ratio:
    """A rate (num/den as %) or a mean (sum/den, each item within `item_range`)."""

    value: float | None
    den: str
    num: str | None = None  # the count the rate is a share of (rates only)
    item_range: tuple | None = None  # (lowest, highest) item of a mean whose sum is whole, e.g. ratings
    places: int = 1


@dataclass
class Problem:
    counts: dict = field(default_factory=dict)  # key -> true count, published (rounded) or withheld
    hidden: dict = field(default_factory=dict)  # key -> true count never published (a rate's numerator)
    ratios: dict = field(default_factory=dict)  # key -> Ratio
    sums: list = field(default_factory=list)  # (total key, [part keys]): total = sum of parts
    leqs: list = field(default_factory=list)  # (a, b): a <= b


def protect(problem, policy, fixed=None):
    """{key: {"value", "suppressed", "reason"}} for every count and ratio of `problem`.

    `fixed`: decisions already published elsewhere (kept, never changed; only other figures are
    withheld to protect them).
    """
    fixed = fixed or {}
    low = policy.withhold_below
    withheld = {key: "small_count" for key, value in problem.counts.items() if 0 < value < low}
    withheld.update(
        {key: d["reason"] for key, d in fixed.items() if d["suppressed"] and key in problem.counts}
    )
    while True:
        ratios = _ratio_decisions(problem, policy, withheld)
        if not policy.secondary:
            break
        shown = _shown_counts(problem, policy, withheld)
        pinned = pinned_counts(problem, policy, shown, withheld, ratios)
        if not pinned:
            break
        chosen = _complement(problem, pinned[0], shown, fixed)
        if not chosen:  # nothing left that this policy may withhold
            break
        for key in chosen:
            withheld[key] = "secondary"
    result = {}
    for key, value in problem.counts.items():
        if key in withheld:
            result[key] = {"value": None, "suppressed": True, "reason": withheld[key]}
        else:
            result[key] = {"value": round_count(value, policy.round_to), "suppressed": False, "reason": None}
    result.update(ratios)
    return result


def _shown_counts(problem, policy, withheld):
    return {
        key: round_count(value, policy.round_to)
        for key, value in problem.counts.items()
        if key not in withheld
    }


def _ratio_decisions(problem, policy, withheld):
    low = policy.withhold_below
    decisions = {}
    for key, ratio in problem.ratios.items():
        den = problem.counts.get(ratio.den, problem.hidden.get(ratio.den))
        num = problem.counts.get(ratio.num, problem.hidden.get(ratio.num)) if ratio.num else None
        if not den or ratio.value is None:
            reason = "no_data"
        elif den < low:
            reason = "small_count"
        elif policy.secondary and (
            ratio.den in withheld
            or (ratio.num in withheld)
            or (num is not None and (0 < num < low or 0 < den - num < low))
        ):
            reason = "secondary"
        else:
            reason = None
        decisions[key] = {
            "value": None if reason else ratio.value,
            "suppressed": reason not in (None, "no_data"),
            "reason": reason,
        }
    return decisions


def pinned_counts(problem, policy, shown, withheld, ratios):
    """Withheld counts whose value a reader of the published figures could work out exactly."""
    bounds = reader_bounds(problem, policy, shown, withheld, ratios)
    return sorted((key for key in withheld if bounds[key][0] == bounds[key][1]), key=repr)


def reader_bounds(problem, policy, shown, withheld, ratios):
    """The range each count must lie in, to a reader who sees only the published figures."""
    low = policy.withhold_below
    bounds = {}
    for key in problem.counts:
        if key in shown:
            bounds[key] = list(published_range(shown[key], policy.round_to))
        elif withheld.get(key) == "small_count":
            bounds[key] = [1, low - 1]
        else:
            bounds[key] = [0, INFINITY]
    for key in problem.hidden:
        bounds[key] = [0, INFINITY]
    not_small = [key for key in problem.counts if withheld.get(key) == "secondary"]
    published_ratios = [
        (ratio, ratios[key]["value"])
        for key, ratio in problem.ratios.items()
        if ratios[key]["value"] is not None
    ]
    for _ in range(PASSES):
        changed = False
        for total, parts in problem.sums:
            changed |= _sum_step(bounds, total, parts)
        for a, b in problem.leqs:
            changed |= _tighten(bounds, a, bounds[a][0], min(bounds[a][1], bounds[b][1]))
            changed |= _tighten(bounds, b, max(bounds[b][0], bounds[a][0]), bounds[b][1])
        for key in not_small:  # a secondary figure is 0 or at least `low`: a small one says so
            lo, hi = bounds[key]
            changed |= _tighten(bounds, key, low if 0 < lo < low else lo, 0 if 0 < hi < low else hi)
        for ratio, value in published_ratios:
            changed |= _ratio_step(bounds, ratio, value)
        if not changed:
            break
    return bounds


def _tighten(bounds, key, lo, hi):
    if [lo, hi] == bounds[key]:
        return False
    bounds[key] = [lo, hi]
    return True


def _sum_step(bounds, total, parts):
    changed = False
    low_sum = sum(bounds[p][0] for p in parts)
    high_sum = min(INFINITY, sum(bounds[p][1] for p in parts))
    t_lo, t_hi = bounds[total]
    changed |= _tighten(bounds, total, max(t_lo, low_sum), min(t_hi, high_sum))
    t_lo, t_hi = bounds[total]
    for part in parts:
        others_lo = low_sum - bounds[part][0]
        others_hi = high_sum - bounds[part][1]
        lo = max(bounds[part][0], t_lo - others_hi) if high_sum < INFINITY else bounds[part][0]
        hi = min(bounds[part][1], t_hi - others_lo)
        changed |= _tighten(bounds, part, lo, hi)
    return changed


def _ratio_step(bounds, ratio, value):
    den_lo, den_hi = bounds[ratio.den]
    if den_hi - den_lo > 200 or not (ratio.num or ratio.item_range):
        return False
    num_bounds = tuple(bounds[ratio.num]) if ratio.num else None
    fitted = _ratio_fits(den_lo, den_hi, num_bounds, ratio.item_range, value)
    if fitted is None:
        return False
    dens, nums = fitted
    changed = _tighten(bounds, ratio.den, *dens)
    if ratio.num:
        changed |= _tighten(bounds, ratio.num, *nums)
    return changed


# The reader's passes ask the same question of most ratios again and again (their bounds settle
# in the first pass), and every service and breakdown group asks alike: the answer depends on
# these plain values alone, so it is worked out once.
@functools.lru_cache(maxsize=1 << 16)
def _ratio_fits(den_lo, den_hi, num_bounds, item_range, value):
    """((lowest, highest) denominator, (lowest, highest) numerator) of the pairs within the bounds
    that publish as `value`; None when no pair does."""
    dens, nums = [], []
    for den in range(max(den_lo, 1), den_hi + 1):
        if num_bounds:
            lo, hi = num_bounds
            fits = [n for n in _near(value * den / 100, lo, min(hi, den)) if rate(n, den) == value]
        else:
            first, last = item_range
            fits = [s for s in _near(value * den, first * den, last * den) if _mean_of(s, den) == value]
        if fits:
            dens.append(den)
            nums.extend(fits)
    if not dens:
        return None
    return (min(dens), max(dens)), (min(nums), max(nums))


def _near(estimate, lo, hi):
    return range(max(lo, math.floor(estimate) - 1), min(hi, math.ceil(estimate) + 1) + 1)


def _mean_of(total, count):
    return float((Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _complement(problem, key, shown, fixed):
    """The figure(s) to withhold so that `key` can no longer be worked out: the largest published
    count sharing an identity with it (usually the total), else every published count near it."""
    related = [parts + [total] for total, parts in problem.sums if key == total or key in parts]
    related += [[a, b] for a, b in problem.leqs if key in (a, b)]
    candidates = {k for group in related for k in group if k in shown and k not in fixed}
    if candidates:
        return [max(candidates, key=lambda k: (problem.counts[k], repr(k)))]
    return [k for k in shown if k not in fixed] or []
