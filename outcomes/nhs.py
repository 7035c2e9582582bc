"""NHS numbers: ten digits, the last a modulus-11 check digit."""


def check_digit(first_nine):
    """The check digit for nine digits, or None when no valid number has them (remainder 10)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=False))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    return None if digit == 10 else digit


def is_valid(number):
    """True for ten digits (spaces allowed) whose last digit is the right check digit."""
    digits = number.replace(" ", "")
    return len(digits) == 10 and digits.isdigit() and check_digit(digits[:9]) == int(digits[9])
