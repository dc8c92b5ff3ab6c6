"""Champion and challenger on live traffic, as the model card and the monitoring show it."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from clinic.i18n import _
from clinic.shadow import Agreement
from components import dataframe_format


def agreement_table(pairs: Sequence[Agreement]) -> None:
    """One line per champion/challenger pair; how to set a challenger when there is none."""
    st.subheader(_("Champion and challenger on live traffic"))
    if not pairs:
        st.caption(
            _(
                "No challenger has scored any prediction yet. An administrator can set one on the "
                "Model versions page: it then scores every new prediction in the background, "
                "never shown as the answer, and the agreement appears here."
            )
        )
        return
    same, difference = _("same class"), _("mean probability difference")
    st.dataframe(
        dataframe_format.localised(
            pd.DataFrame(
                [
                    {
                        _("champion"): f"v{p.champion}",
                        _("challenger"): f"v{p.challenger}",
                        _("predictions scored by both"): p.predictions,
                        same: p.same_class,
                        difference: p.mean_difference,
                    }
                    for p in pairs
                ]
            ),
            places=[difference],
            percents=[same],
        ),
        hide_index=True,
    )
