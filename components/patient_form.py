"""The patient form: identity and one input per schema field, all starting empty."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from clinic.i18n import _
from clinic.identity import NAME_LENGTH, NATIONAL_ID_TYPED_MAX
from clinic.validation import (
    FULL_NAME,
    IDENTITY_LABELS,
    NATIONAL_ID,
    choice,
    label,
    shown_range,
    unit,
)
from model_store.schema import FIELDS, GROUPS, Field

FORM_KEY = "patient_form"


def _key(code: str) -> str:
    return f"{FORM_KEY}.{code}"


WIDGET_KEYS = [_key(FULL_NAME), _key(NATIONAL_ID), *(_key(f.code) for f in FIELDS)]
DRAFT = "patient_form.draft"
"""(user id, clinical values) kept when a session ends with the form filled in."""


@dataclass(frozen=True)
class Submission:
    """What was in the form when "Predict" was pressed, as typed."""

    full_name: Any
    national_id: Any
    measurements: dict[str, Any]


def clear() -> None:
    """Forget everything typed (a callback for the "New patient" button)."""
    for key in WIDGET_KEYS:
        st.session_state.pop(key, None)


def keep_draft(user_id: int) -> None:
    """When a session ends under a filled form (Predict pressed after the time-out, say), keep
    its clinical values for the same user's next sign-in in this browser tab; the identity is
    dropped now, never kept: it must be typed again."""
    values = {
        f.code: st.session_state[_key(f.code)]
        for f in FIELDS
        if st.session_state.get(_key(f.code)) is not None
    }
    for key in WIDGET_KEYS:
        st.session_state.pop(key, None)
    if values:
        st.session_state[DRAFT] = (user_id, values)


def restore_draft(user_id: int) -> bool:
    """Put a kept draft back into the empty form (before it is drawn); True if one was. A draft
    left by someone else in this tab is dropped unseen."""
    kept = st.session_state.pop(DRAFT, None)
    if kept is None or kept[0] != user_id:
        return False
    for code, value in kept[1].items():
        st.session_state.setdefault(_key(code), value)
    return True


def _help(f: Field) -> str:
    seen = _("Seen in training: {range}.").format(range=shown_range(f, f.training_range))
    text = f"{_(f.help)}\n\n{seen}"
    if f.categorical:
        return text
    return f"{text} " + _("Accepted: {range}.").format(range=shown_range(f, f.valid_range))


def _input(f: Field, disabled: bool) -> Any:
    if f.choices is not None:
        options = list(f.choices)
        kwargs = dict(
            options=options,
            format_func=lambda value: choice(f, value),
            index=None,
            key=_key(f.code),
            help=_help(f),
            disabled=disabled,
        )
        if len(options) == 2:
            return st.radio(label(f), horizontal=True, **kwargs)
        return st.selectbox(label(f), placeholder=_("Choose…"), **kwargs)
    step: int | float = int(f.step) if f.integer else f.step
    return st.number_input(
        label(f),
        value=None,
        step=step,
        format=None if f.integer else "%.1f",
        placeholder=unit(f),
        key=_key(f.code),
        help=_help(f),
        disabled=disabled,
    )


def patient_form(disabled: bool = False) -> Submission | None:
    """Render the form; the submission when "Predict" was pressed, else None."""
    with st.form(FORM_KEY, border=True, enter_to_submit=False):
        st.subheader(_("Patient"))
        left, right = st.columns(2)
        full_name = left.text_input(
            _(IDENTITY_LABELS[FULL_NAME]),
            key=_key(FULL_NAME),
            max_chars=NAME_LENGTH[1],
            disabled=disabled,
            autocomplete="off",
            help=_("Encrypted before it is stored; lists show initials only."),
        )
        national_id = right.text_input(
            _(IDENTITY_LABELS[NATIONAL_ID]),
            key=_key(NATIONAL_ID),
            max_chars=NATIONAL_ID_TYPED_MAX,
            disabled=disabled,
            autocomplete="off",
            help=_(
                "A Colombian cédula as it is usually written, with dots (1.023.456.789), or any "
                "other national ID: dots, dashes and spaces are ignored (1.023.456.789 = "
                "1023456789). Encrypted; lists show the last four characters only."
            ),
        )
        measurements: dict[str, Any] = {}
        for group in GROUPS:
            st.subheader(_(group))
            fields = [f for f in FIELDS if f.group == group]
            columns = st.columns(2)
            for i, f in enumerate(fields):
                with columns[i % 2]:
                    measurements[f.code] = _input(f, disabled)
        pressed = st.form_submit_button(_("Predict"), type="primary", disabled=disabled)
    if not pressed:
        return None
    return Submission(full_name, national_id, measurements)
