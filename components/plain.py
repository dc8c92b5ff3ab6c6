"""Text a person typed (a display name, a username, a column of an uploaded file, a reason),
made safe to place inside Streamlit markdown: it shows exactly as typed, never as a link, an
image, a heading, a colour, an icon or an emoji.

Streamlit renders markdown in st.markdown, st.write, st.caption, st.info/warning/error/
success, st.toast and in widget labels, so a name such as `[x](http://evil.example)` would
become a link there. Backslash-escaping markdown's punctuation is not enough: the renderer
(react-markdown with remark-gfm and remark-emoji) turns bare `www.…`, `http://…` and `a@b.co`
into links, and `:smile:` into an emoji, after the escapes are resolved (seen in Chromium on
Streamlit 1.67). So, besides the escapes, an invisible WORD JOINER (U+2060) is put where those
patterns need two characters side by side; what a person reads is unchanged.

Where no markdown is needed at all, a plain-text element (st.text, st.code, a dataframe cell)
is simpler still.
"""

from __future__ import annotations

import re
import string

JOINER = "\u2060"
"""WORD JOINER: zero width, no line break, invisible; breaks `www.`, `://`, `@` and `:emoji:`."""

_PUNCTUATION = frozenset(string.punctuation)
"""CommonMark lets a backslash escape any ASCII punctuation character, and only those."""
_WWW = re.compile(r"(www)(?=\\\.)", re.IGNORECASE)
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")


def literal(text: object) -> str:
    """Markdown that shows `text` exactly as it is, on one line.

    Every ASCII punctuation character is backslash-escaped (no link, image, emphasis, code,
    HTML, heading, list, table, math or `:colour[…]` directive can start); line breaks become
    spaces (they would start blocks or hard breaks); and the autolink and emoji patterns that
    the renderer finds in plain text are interrupted by an invisible WORD JOINER.
    """
    flat = _LINE_BREAKS.sub(" ", str(text))
    escaped = "".join(_escape(char) for char in flat)
    # Leading spaces would not show anyway; four of them would make a code block.
    return _WWW.sub(r"\1" + JOINER, escaped).strip()


def _escape(char: str) -> str:
    """One character as markdown that shows it; `:` and `@` also break the patterns around them."""
    if char not in _PUNCTUATION:
        return char
    if char == "@":
        return JOINER + "\\@"
    return "\\" + char + (JOINER if char == ":" else "")


def unescape(markdown: str) -> str:
    """What `literal(text)` shows: the inverse, for tests and for reading messages back."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown.replace(JOINER, ""))
