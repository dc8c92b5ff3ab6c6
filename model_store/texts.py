"""The marker for texts shown to people, defined here so model_store needs nothing from clinic.

`N_("Age")` returns its argument: it only tells the message extractor (Babel, `make messages`)
that the text belongs in the catalogue. `clinic.i18n` translates it where it is shown.
"""


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for the marker
    """Mark `message` for the catalogue without translating it now."""
    return message
