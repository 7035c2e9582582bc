"""The Friends and Family Test: the NHS question and answers a family rates the service with.

Each answer but "don't know" keeps a score on the old 1–5 rating (very good 5 .. very poor 1), so
the scorecard's mean satisfaction carries on over the same scale; "don't know" has no score and
is left out of the mean and of the share of positive answers. No Flask imports.
"""

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
