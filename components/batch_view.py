"""How a batch is shown: the template, the check report and the prioritised, masked list."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import batch, batch_file, i18n, prioritised_list
from clinic.i18n import _, ngettext
from clinic.validation import IDENTITY_LABELS, shown_number
from components.plain import literal
from model_store.schema import markdown_table


def template_help() -> None:
    """The template to download and what each of its columns means."""
    with st.expander(_("The file: template and columns")):
        st.download_button(
            _("Download the template"),
            batch_file.template(),
            file_name="patients-template.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        identity = "\n".join(f"- `{code}`: {_(label)}" for code, label in IDENTITY_LABELS.items())
        then = _("then every clinical field, by its code:")
        table = markdown_table(text=_, number=shown_number)
        st.markdown(
            f"{identity}\n\n{then}\n\n{table}\n\n"
            + _(
                "Commas or semicolons between columns, decimal points or commas; UTF-8 or "
                "Excel's Windows encoding. Extra columns are ignored."
            )
        )


def _column(field: str) -> str:
    """A problem's column: its code as in the file, or 'row' (in words) for the whole line."""
    return _(batch_file.WHOLE_ROW) if field == batch_file.WHOLE_ROW else field


def check_report(checked: batch_file.Checked) -> None:
    """How many lines can be scored, and each problem by line and column."""
    good, rejected = len(checked.good), checked.rejected_lines
    if rejected:
        st.warning(
            _(
                "{good} lines can be scored; {rejected} need correcting and will not be stored. "
                "Correct them in the file and upload it again: lines already stored are not "
                "stored twice."
            ).format(good=i18n.number(good), rejected=i18n.number(rejected)),
            icon=":material/rule:",
        )
        report = pd.DataFrame(
            [(p.line, _column(p.field), p.reason) for p in checked.bad],
            columns=[_("Line"), _("Column"), _("Problem")],
        )
        st.dataframe(report, hide_index=True, width="stretch")
    else:
        st.success(
            _("All {good} lines can be scored.").format(good=i18n.number(good)),
            icon=":material/check_circle:",
        )
    if checked.ignored_columns:
        st.caption(
            _("Ignored columns: {columns}.").format(
                columns=", ".join(literal(c) for c in checked.ignored_columns)
            )
        )


def prioritised(outcome: batch.Outcome) -> None:
    """The scored lines, highest risk first, identifiers masked; the same as a CSV."""
    st.subheader(_("Highest risk first"))
    stored = i18n.number(outcome.stored)
    if outcome.already_stored:
        message = ngettext(  # only the uploader's own earlier lines count (clinic.batch)
            "Stored {stored} predictions; {already} line you had already stored was not stored "
            "again.",
            "Stored {stored} predictions; {already} lines you had already stored were not stored "
            "again.",
            outcome.already_stored,
        ).format(stored=stored, already=i18n.number(outcome.already_stored))
    else:
        message = _("Stored {stored} predictions.").format(stored=stored)
    st.success(message, icon=":material/task_alt:")
    table = pd.DataFrame(prioritised_list.masked_table(outcome.results))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            _("Risk"): st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
            _("Record"): st.column_config.NumberColumn(format="%d"),
        },
    )
    st.download_button(
        _("Download this list (masked CSV)"),
        prioritised_list.masked_csv(outcome.results),
        file_name="prioritised-patients.csv",
        mime="text/csv",
        icon=":material/download:",
    )
