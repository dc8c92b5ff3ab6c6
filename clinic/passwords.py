"""Passwords: bcrypt hashes (the format streamlit-authenticator checks), NIST 800-63B rules."""

from __future__ import annotations

from functools import cache

import bcrypt

from clinic import i18n
from clinic.i18n import _

MIN_LENGTH = 12
MAX_BYTES = 72
"""bcrypt reads no further (and bcrypt 5 refuses longer input): a longer password would be
refused at sign-in, or count for less than it seems."""


@cache
def _common() -> frozenset[str]:
    """zxcvbn's list of common passwords. zxcvbn (~12 MB of word lists) is imported only when
    a password is chosen, not by every server that merely checks passwords at sign-in."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12)).decode()


def check_password(password: str, hashed: str) -> bool:
    """False for a password bcrypt cannot take (over 72 bytes: bcrypt 5 refuses it): no
    password that long was ever accepted, so it cannot be right."""
    typed = password.encode()
    if len(typed) > MAX_BYTES:
        return False
    return bcrypt.checkpw(typed, hashed.encode())


def password_problem(password: str, *context: str) -> str | None:
    """Why `password` may not be used, or None. Length, common lists and guessability only:
    no composition rules and no expiry, as NIST SP 800-63B recommends."""
    if len(password) < MIN_LENGTH:
        return _("Password must be at least {n} characters long.").format(n=i18n.number(MIN_LENGTH))
    if len(password.encode()) > MAX_BYTES:
        return _(
            "Password must be at most {n} bytes long: {n} plain letters, digits or spaces; an "
            "accented letter counts as two."
        ).format(n=i18n.number(MAX_BYTES))
    if password != password.strip():
        return _(
            "Password must not begin or end with a space: the sign-in form ignores spaces there."
        )
    if password.lower() in _common():
        return _("That password is on a list of common passwords; choose another.")
    if any(word and word.lower() in password.lower() for word in context):
        return _("Password must not contain your username or name.")
    from zxcvbn import zxcvbn

    if zxcvbn(password, user_inputs=[w for w in context if w])["score"] < 3:
        return _(
            "That password is too easy to guess (repeated or sequential characters, "
            "dictionary words); choose a longer or less predictable one."
        )
    return None
