"""A patient's direct identifiers: how they are checked, normalised and masked.

Only the masked forms produced here may ever be shown in lists, logged or exported. The problems
are worded in the reader's language (clinic.i18n) when the check runs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from clinic import i18n
from clinic.i18n import _

NAME_LENGTH = (2, 120)
"""Shortest and longest full name (characters, spaces collapsed); the form takes no more."""
NATIONAL_ID_LENGTH = (5, 20)
"""Fewest and most letters and digits in a national ID, once punctuation is dropped."""
NATIONAL_ID_TYPED_MAX = 32
"""The most characters the form takes for a national ID as typed: dots, dashes and spaces come
on top of its NATIONAL_ID_LENGTH letters and digits."""
_NAME_PUNCTUATION = set(" '’-.,")
_ID_SEPARATORS = re.compile(r"[\s.\-/]")
_ID_CHARS = re.compile(r"[A-Z0-9]+")


@dataclass(frozen=True)
class Identity:
    """A validated identity: the name as typed (trimmed) and the ID as typed."""

    full_name: str
    national_id: str

    @property
    def national_id_normalised(self) -> str:
        return normalise_national_id(self.national_id)


def normalise_national_id(raw: str) -> str:
    """'1.234.567-8', '1 234 567 8' and '12345678' are the same ID: drop separators, uppercase."""
    return _ID_SEPARATORS.sub("", raw).upper()


def clean_name(raw: str) -> str:
    """Trim and collapse runs of spaces; the letters themselves are kept exactly (ñ, accents)."""
    return " ".join(unicodedata.normalize("NFC", raw).split())


def name_problem(name: str) -> str | None:
    """Why `name` (already cleaned) is not a plausible full name, or None."""
    lo, hi = NAME_LENGTH
    if not name:
        return _("Full name is required.")
    if not lo <= len(name) <= hi:
        return _("Full name must be {lo} to {hi} characters long.").format(
            lo=i18n.number(lo), hi=i18n.number(hi)
        )
    for char in name:
        if char not in _NAME_PUNCTUATION and unicodedata.category(char)[0] not in "LM":
            return _("Full name may contain only letters, spaces, apostrophes, hyphens and dots.")
    if not any(unicodedata.category(c).startswith("L") for c in name):
        return _("Full name must contain letters.")
    return None


def national_id_problem(raw: str) -> str | None:
    """Why `raw` is not a usable national ID, or None. Dots, dashes and spaces are allowed."""
    lo, hi = NATIONAL_ID_LENGTH
    if not raw.strip():
        return _("National ID is required.")
    normalised = normalise_national_id(raw)
    if not _ID_CHARS.fullmatch(normalised):
        return _("National ID may contain only letters and digits, with dots, dashes or spaces.")
    if not lo <= len(normalised) <= hi:
        return _("National ID must have {lo} to {hi} letters or digits.").format(
            lo=i18n.number(lo), hi=i18n.number(hi)
        )
    return None


def mask_name(name: str) -> str:
    """Initials only: 'María José Ñúñez' -> 'M. J. Ñ.'."""
    initials = (next((c for c in part if c.isalpha()), "") for part in name.split())
    return " ".join(f"{letter.upper()}." for letter in initials if letter)[:64]


def mask_national_id(raw: str) -> str:
    """The last four characters only: '1.234.567-8' -> '••••5678'."""
    return "••••" + normalise_national_id(raw)[-4:]
