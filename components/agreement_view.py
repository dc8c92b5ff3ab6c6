"""Champion and challenger on live traffic, as the model card and the monitoring show it."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from clinic.shadow import Agreement


def agreement_table(pairs: Sequence[Agreement]) -> None:
    """One line per champion/challenger pair; how to set a challenger when there is none."""
    st.subheader("Champion and challenger on live traffic")
    if not pairs:
        st.caption(
            "No challenger has scored any prediction yet. An administrator can set one on the "
            "Model versions page: it then scores every new prediction in the background, never "
            "shown as the answer, and the agreement appears here."
        )
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "champion": f"v{p.champion}",
                    "challenger": f"v{p.challenger}",
                    "predictions scored by both": p.predictions,
                    "same class": p.same_class,
                    "mean probability difference": p.mean_difference,
                }
                for p in pairs
            ]
        ),
        hide_index=True,
        column_config={
            "same class": st.column_config.NumberColumn(format="percent"),
            "mean probability difference": st.column_config.NumberColumn(format="%.3f"),
        },
    )
