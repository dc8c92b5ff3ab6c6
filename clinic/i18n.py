"""Texts and formats in the reader's language: English (the source) and Spanish (Colombia).

gettext conventions: the English text in the code is the message id, wrapped in `_()` where it
is shown (`N_()` marks text defined earlier, such as the schema's labels, translated where
shown). The translations live in `locales/<language>/LC_MESSAGES/messages.po`, read once per
process; `make messages` re-extracts the ids after code changes (see README "Translations").

The language applies to one script run at a time: the components set it (`use`) from the
user's choice or the server default `CLINIC_LANGUAGE` before anything is drawn. A context
variable keeps parallel sessions, each on its own thread, apart.
"""

from __future__ import annotations

import gettext as gettext_module
import io
import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from model_store.texts import N_

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
__all__ = ["N_", "_", "gettext", "ngettext"]


@dataclass(frozen=True)
class Language:
    """How one language writes: its own name, its CLDR locale, its date patterns (CLDR), and a
    day on a chart axis (d3's patterns: plotly names months in English only, so Spanish charts
    use numbers; `chart_week` None leaves plotly's own ticks)."""

    name: str
    locale: str
    date: str
    datetime: str
    chart_day: str
    chart_week: str | None


LANGUAGES: dict[str, Language] = {
    "en": Language("English", "en_US", "yyyy-MM-dd", "yyyy-MM-dd HH:mm", "%d %b %Y", None),
    "es": Language("Español", "es_CO", "dd/MM/yyyy", "dd/MM/yyyy HH:mm", "%d/%m/%Y", "%d/%m"),
}
DEFAULT = "en"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def checked(code: str | None) -> str:
    """`code` when it names a supported language ('es', 'es_CO', 'ES'), else a ValueError."""
    short = (code or "").strip().lower().replace("-", "_").split("_")[0]
    if short not in LANGUAGES:
        raise ValueError(f"Unknown language {code!r}; choose one of: {', '.join(LANGUAGES)}.")
    return short


def use(code: str) -> None:
    """Speak `code` for the rest of this script run (or command)."""
    _current.set(checked(code))


def current() -> str:
    return _current.get()


@cache
def _translations(code: str) -> gettext_module.NullTranslations:
    """The catalogue of `code`, compiled in memory from its .po file (no build step)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return gettext_module.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=code)
    mo = io.BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    return gettext_module.GNUTranslations(mo)


def gettext(message: str) -> str:
    """`message` in the current language (the English text itself when untranslated)."""
    return _translations(current()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, in the current language."""
    return _translations(current()).ngettext(singular, plural, n)


def _locale() -> str:
    return LANGUAGES[current()].locale


def number(value: float, decimals: int | None = None) -> str:
    """12,345.5 / 12.345,5: grouped, with `decimals` fixed places or up to 3 when None. Rounds
    the float's exact value, as Python's own `f"{value:,.1f}"` does."""
    from babel.numbers import format_decimal

    places = "" if decimals == 0 else "." + "0" * decimals if decimals else ".###"
    return format_decimal(Decimal(value), format="#,##0" + places, locale=_locale())


def percent(fraction: float, decimals: int = 1) -> str:
    """73.4% / 73,4%: the locale's percent pattern, rounded as `f"{fraction:.1%}"` would."""
    pattern, sign = _percent_style(_locale())
    digits = number(fraction * 100, decimals)
    return re.sub(r"[#,0.]+", lambda _match: digits, pattern, count=1).replace("%", sign)


@cache
def _percent_style(locale_code: str) -> tuple[str, str]:
    """The locale's percent pattern ('#,##0%') and percent sign (CLDR, via Babel)."""
    from babel import Locale

    locale = Locale.parse(locale_code)
    return locale.percent_formats[None].pattern, locale.number_symbols["latn"]["percentSign"]


def day(value: date) -> str:
    """2026-11-27 / 27/11/2026."""
    from babel.dates import format_date

    return format_date(value, LANGUAGES[current()].date, locale=_locale())


def moment(value: datetime) -> str:
    """2026-11-27 08:05 / 27/11/2026 08:05 (as stored, UTC; callers add the zone)."""
    from babel.dates import format_datetime

    return format_datetime(value, LANGUAGES[current()].datetime, locale=_locale())


def chart_day() -> str:
    """How a chart's date axis writes a day: 27 Nov 2026 / 27/11/2026."""
    return LANGUAGES[current()].chart_day


def chart_week() -> str | None:
    """How a weekly chart's axis writes its days (None: plotly's own ticks)."""
    return LANGUAGES[current()].chart_week


def separators() -> str:
    """The decimal and thousands marks, in the order plotly's `layout.separators` takes them."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    return get_decimal_symbol(_locale()) + get_group_symbol(_locale())


def decimal_mark(text: str) -> str:
    """A number already written the English way ('72.5', '-4', '1e+06') with the reader's
    decimal mark instead of the point (no grouping, as the English has none)."""
    return text if current() == DEFAULT else text.replace(".", separators()[0])
