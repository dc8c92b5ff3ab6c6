"""How a batch is shown: the template, the check report and the prioritised, masked list."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import batch
from clinic.validation import IDENTITY_LABELS
from model_store.schema import markdown_table


def template_help() -> None:
    """The template to download and what each of its columns means."""
    with st.expander("The file: template and columns"):
        st.download_button(
            "Download the template",
            batch.template(),
            file_name="patients-template.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        identity = "\n".join(f"- `{code}`: {label}" for code, label in IDENTITY_LABELS.items())
        st.markdown(
            f"{identity}\n\nthen every clinical field, by its code:\n\n{markdown_table()}\n\n"
            "Commas or semicolons between columns, decimal points or commas; UTF-8 or "
            "Excel's Windows encoding. Extra columns are ignored."
        )


def check_report(checked: batch.Checked) -> None:
    """How many lines can be scored, and each problem by line and column."""
    good, rejected = len(checked.good), checked.rejected_lines
    if rejected:
        st.warning(
            f"{good:,} lines can be scored; {rejected:,} need correcting and will not be "
            "stored. Correct them in the file and upload it again: lines already stored are "
            "not stored twice.",
            icon=":material/rule:",
        )
        report = pd.DataFrame(
            [(p.line, p.field, p.reason) for p in checked.bad],
            columns=["Line", "Column", "Problem"],
        )
        st.dataframe(report, hide_index=True, width="stretch")
    else:
        st.success(f"All {good:,} lines can be scored.", icon=":material/check_circle:")
    if checked.ignored_columns:
        st.caption(f"Ignored columns: {', '.join(checked.ignored_columns)}.")


def prioritised(outcome: batch.Outcome) -> None:
    """The scored lines, highest risk first, identifiers masked; the same as a CSV."""
    st.subheader("Highest risk first")
    already = (
        f"; {outcome.already_stored:,} had been stored before and were not stored again"
        if outcome.already_stored
        else ""
    )
    st.success(f"Stored {outcome.stored:,} predictions{already}.", icon=":material/task_alt:")
    table = pd.DataFrame(batch.masked_table(outcome.results))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Risk": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
            "Record": st.column_config.NumberColumn(format="%d"),
        },
    )
    st.download_button(
        "Download this list (masked CSV)",
        batch.masked_csv(outcome.results),
        file_name="prioritised-patients.csv",
        mime="text/csv",
        icon=":material/download:",
    )
