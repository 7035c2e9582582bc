"""The Friends and Family Test: the NHS question and answers a family rates the service with.

Each answer but "don't know" keeps a score on the old 1–5 rating (very good 5 .. very poor 1), so
the scorecard's mean satisfaction carries on over the same scale; "don't know" has no score and
is left out of the mean and of the share of positive answers. No Flask imports.
"""

from . import periods
from .rules import counted

QUESTION = "Overall, how was your experience of our service?"
ANSWERS = (
    ("very_good", "Very good", 5),
    ("good", "Good", 4),
    ("neither", "Neither good nor poor", 3),
    ("poor", "Poor", 2),
    ("very_poor", "Very poor", 1),
    ("dont_know", "Don't know", None),
)
LABELS = {key: label for key, label, _ in ANSWERS}
SCORES = {key: score for key, _, score in ANSWERS}
ANSWER_OF_SCORE = {score: key for key, _, score in ANSWERS if score is not None}
POSITIVE = ("very_good", "good")
WHAT_WAS_GOOD = "What was good?"
COULD_BE_BETTER = "What could be better?"


def score_of(answer):
    """The 1–5 score an answer is kept as (None for "don't know")."""
    return SCORES[answer]


def answer_of(rating):
    """The answer an old 1–5 rating stands for."""
    return ANSWER_OF_SCORE.get(rating)


def comments(db, service_id, period):
    """The FFT answers with free text given in `period` on the service's counted reviews.

    Each is (answer label, what was good, what could be better) and nothing else: no child, no
    parent, no date, no review, sorted by answer and text so that the order says nothing either.
    Answers are placed in periods by the UK date they were given, as the scorecard's ratings are.
    """
    utc_start, utc_after_end = periods.utc_bounds(period)
    rows = db.execute(
        f"""SELECT fv.fft_answer, fv.what_was_good, fv.could_be_better
            FROM family_views fv JOIN reviews r ON r.id = fv.review_id
            WHERE r.service_id = ? AND {counted("r")}
              AND fv.created_at >= ? AND fv.created_at < ?
              AND (fv.what_was_good <> '' OR fv.could_be_better <> '')""",
        [service_id, utc_start, utc_after_end],
    ).fetchall()
    order = {key: index for index, (key, _, _) in enumerate(ANSWERS)}
    return [
        {"answer": LABELS.get(answer, "No answer"), "what_was_good": good, "could_be_better": better}
        for answer, good, better in sorted(rows, key=lambda row: (order.get(row[0], 99), row[1], row[2]))
    ]
