"""How every page shows a chart or a table: the figure with Plotly's toolbar saving it as PNG in the browser
(nothing is exported on the server, nothing is fetched: the pages work offline), and its data as a CSV
download made only when asked for."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go


@dataclass(frozen=True)
class Chart:
    """A figure and the table it draws; `name` is the file name of both downloads."""

    name: str
    title: str
    figure: go.Figure
    data: pd.DataFrame


def chart_config(name: str) -> dict:
    """Plotly's toolbar: 'Download plot as a png', made in the browser, under this file name."""
    return {"toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}, "displaylogo": False}


def show_chart(chart: Chart) -> None:
    import streamlit as st

    st.subheader(chart.title)
    st.plotly_chart(chart.figure, config=chart_config(chart.name), key=f"chart|{chart.name}")
    csv_download(chart.data, chart.name)


def show_charts(charts: list[Chart]) -> None:
    for chart in charts:
        show_chart(chart)


def show_table(title: str, frame: pd.DataFrame, name: str) -> None:
    """A table with a CSV download of it."""
    import streamlit as st

    st.subheader(title)
    st.dataframe(frame, hide_index=True, key=f"table|{name}")
    csv_download(frame, name)


def csv_download(frame: pd.DataFrame, name: str) -> None:
    """A CSV download built only when clicked, without rerunning the page."""
    import streamlit as st

    st.download_button(f"{name}.csv", lambda: frame.to_csv(index=not isinstance(frame.index, pd.RangeIndex)),
                       file_name=f"{name}.csv", mime="text/csv", on_click="ignore", key=f"csv|{name}",
                       icon=":material/download:")
