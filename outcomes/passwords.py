"""The password rule, after the NCSC's guidance: at least 10 characters, not a common or breached
password, not the account's own name or email; no composition rules. No Flask imports.

The list is the 30,000 most common passwords from the zxcvbn package (outcomes/data/), read once.
"""

import functools
import re
from pathlib import Path

from marshmallow import ValidationError

MIN_LENGTH = 10
LIST_FILE = Path(__file__).resolve().parent / "data" / "common_passwords.txt"
TOO_SHORT = f"Use at least {MIN_LENGTH} characters (spaces at the start or end do not count)."
TOO_COMMON = "That password is one of the most common, so it is easy to guess. Choose another."
TOO_PERSONAL = "Your password must not contain your name or email address. Choose another."


@functools.cache
def common_passwords():
    with LIST_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _core(password):
    """The password without the digits and symbols people add round a common word ('password12')."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", password.lower())


def problem(password, name="", email=""):
    """Why this password is refused, or None."""
    if len(password.strip()) < MIN_LENGTH:
        return TOO_SHORT
    if len(set(password.lower())) < 4:
        return TOO_COMMON
    lowered = password.lower()
    common = common_passwords()
    if lowered in common or _core(password) in common or re.sub(r"\s+", "", lowered) in common:
        return TOO_COMMON
    local = email.strip().lower().split("@")[0]
    personal = [email.strip().lower(), local] + [part for part in re.split(r"\s+", name.lower()) if part]
    squashed = re.sub(r"[\W_]+", "", lowered)
    for word in personal:
        word_squashed = re.sub(r"[\W_]+", "", word)
        if len(word_squashed) >= 4 and (word in lowered or word_squashed in squashed):
            return TOO_PERSONAL
    return None


def check(password, name="", email="", field="password"):
    """Raise a ValidationError naming `field` if the password breaks the rule."""
    message = problem(password, name, email)
    if message:
        raise ValidationError({field: [message]})
