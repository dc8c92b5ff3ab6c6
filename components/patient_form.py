"""The patient form: identity and one input per schema field, all starting empty."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from clinic.validation import FULL_NAME, IDENTITY_LABELS, NATIONAL_ID
from model_store.schema import FIELDS, GROUPS, Field, describe_range

FORM_KEY = "patient_form"


def _key(code: str) -> str:
    return f"{FORM_KEY}.{code}"


WIDGET_KEYS = [_key(FULL_NAME), _key(NATIONAL_ID), *(_key(f.code) for f in FIELDS)]


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


def _help(f: Field) -> str:
    text = f"{f.help}\n\nSeen in training: {describe_range(f, f.training_range)}."
    return text if f.categorical else f"{text} Accepted: {describe_range(f, f.valid_range)}."


def _input(f: Field, disabled: bool) -> Any:
    if f.choices is not None:
        options = list(f.choices)
        kwargs = dict(
            options=options,
            format_func=f.choices.get,
            index=None,
            key=_key(f.code),
            help=_help(f),
            disabled=disabled,
        )
        if len(options) == 2:
            return st.radio(f.label, horizontal=True, **kwargs)
        return st.selectbox(f.label, placeholder="Choose…", **kwargs)
    step: int | float = int(f.step) if f.integer else f.step
    return st.number_input(
        f.label,
        value=None,
        step=step,
        format=None if f.integer else "%.1f",
        placeholder=f.unit,
        key=_key(f.code),
        help=_help(f),
        disabled=disabled,
    )


def patient_form(disabled: bool = False) -> Submission | None:
    """Render the form; the submission when "Predict" was pressed, else None."""
    with st.form(FORM_KEY, border=True, enter_to_submit=False):
        st.subheader("Patient")
        left, right = st.columns(2)
        full_name = left.text_input(
            IDENTITY_LABELS[FULL_NAME],
            key=_key(FULL_NAME),
            max_chars=120,
            disabled=disabled,
            autocomplete="off",
            help="Encrypted before it is stored; lists show initials only.",
        )
        national_id = right.text_input(
            IDENTITY_LABELS[NATIONAL_ID],
            key=_key(NATIONAL_ID),
            max_chars=32,
            disabled=disabled,
            autocomplete="off",
            help="Dots, dashes and spaces are ignored (1.234.567-8 = 12345678). Encrypted; lists "
            "show the last four characters only.",
        )
        measurements: dict[str, Any] = {}
        for group in GROUPS:
            st.subheader(group)
            fields = [f for f in FIELDS if f.group == group]
            columns = st.columns(2)
            for i, f in enumerate(fields):
                with columns[i % 2]:
                    measurements[f.code] = _input(f, disabled)
        pressed = st.form_submit_button("Predict", type="primary", disabled=disabled)
    if not pressed:
        return None
    return Submission(full_name, national_id, measurements)
