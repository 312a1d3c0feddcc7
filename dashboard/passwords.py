"""The password policy: long enough, not the user's name, and not easy to guess.

Follows NIST SP 800-63B section 5.1.1.2: a minimum length (12 by default, the setting
`WHOLESYSTEM_PASSWORD_MIN_LENGTH`), no composition rules, and a check against commonly
used and trivial passwords. That check is zxcvbn (the Python port of Dropbox's estimator):
it ships frequency lists of common passwords, English words and names, and scores
repeats ("aaaa", "abcabc"), sequences ("abcd", "6543") and keyboard patterns. A password
it scores below 3 (fewer than about 10^8 guesses) is refused, with zxcvbn's own warning.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

DEFAULT_MIN_LENGTH = 12
MAX_LENGTH = 256  # hashing is deliberately slow; a megabyte "password" is an attack
MIN_SCORE = 3  # zxcvbn's "safely unguessable" band: 10^8 guesses or more
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; the start decides the score


def check_password(name: str, password: str, min_length: int = DEFAULT_MIN_LENGTH) -> str | None:
    """Returns why a password is refused for this user (one sentence), or None if it is
    long enough and not easy to guess."""
    password = password or ""
    if len(password) < min_length:
        return f"a password needs at least {min_length} characters"
    if len(password) > MAX_LENGTH:
        return f"a password may have at most {MAX_LENGTH} characters"
    if name and len(name) >= 3 and name.casefold() in password.casefold():
        return "a password must not contain the user name"
    if not password.strip():
        return "a password must not be only spaces"
    return _guessable(name, password)


def _guessable(name: str, password: str) -> str | None:
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[name] if name else None)
    if result["score"] >= MIN_SCORE:
        return None
    warning = result["feedback"]["warning"].rstrip(".")
    why = f" ({warning[0].lower()}{warning[1:]})" if warning else ""
    return f"this password is too easy to guess{why}; use a longer phrase of unrelated words"
