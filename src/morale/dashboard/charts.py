"""The Scenario page's charts: Plotly figures from a `Run`, each with the table it draws (for its CSV).

The choice of series follows the static report (`morale.results.report`): soldiers by location, recruits and
deaths by stream per month (weekly flows are too spiky to read; a month is what the sources report), the
manpower balance, then what the report leaves to the tables: support, opposition, emigration, fiscal cost.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from morale.dashboard.display import Chart
from morale.engine import codes as C
from morale.results.report import LOCATIONS

# The headline outcomes: (series, how it is read over the run, label). Flows are summed, stocks and means read
# at the last week, as the series registry says they may be.
HEADLINES = (("killed", "sum", "killed"), ("recruits", "sum", "recruits"),
             ("soldiers_front", "last", "at the front, last week"), ("emigrants", "sum", "emigrants"),
             ("support_polled", "last", "polled support, last week"), ("fiscal_cost", "sum", "fiscal cost, RUB"))


def headline(run) -> list[tuple[str, str]]:
    """(label, value as text) for each headline outcome the run has."""
    found = []
    for name, how, label in HEADLINES:
        if name in run.series:
            value = run.series[name].iloc[-1] if how == "last" else run.series[name].sum()
            found.append((label, f"{value:.0%}" if name.startswith("support") else _large(value)))
    return found


def _large(value: float) -> str:
    for size, word in ((1e12, " trillion"), (1e9, " billion")):
        if abs(value) >= size:
            return f"{value / size:,.1f}{word}"
    return f"{value:,.0f}"


def charts(run) -> list[Chart]:
    """Every chart the run's series allow, in the page's order."""
    made = (locations(run), recruits(run), deaths(run), balance(run), support(run), opposition(run),
            emigration(run), fiscal(run))
    return [chart for chart in made if chart is not None]


def _present(run, names) -> list[str]:
    return [n for n in names if n in run.series]


def _lines(data: pd.DataFrame, axis: str, stacked: bool = False, figure: go.Figure | None = None) -> go.Figure:
    figure = figure or go.Figure()
    for column in data.columns:
        figure.add_trace(go.Scatter(x=data.index, y=data[column], name=column, mode="lines",
                                    stackgroup="one" if stacked else None))
    return _layout(figure, axis)


def _bars(data: pd.DataFrame, axis: str) -> go.Figure:
    figure = go.Figure([go.Bar(x=data.index, y=data[c], name=c) for c in data.columns])
    figure.update_layout(barmode="stack", bargap=0.1)
    return _layout(figure, axis)


def _layout(figure: go.Figure, axis: str) -> go.Figure:
    figure.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), hovermode="x unified",
                         legend=dict(orientation="h", y=-0.15), yaxis_title=axis)
    return figure


def _monthly(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.resample("MS").sum().rename_axis("month")


def locations(run) -> Chart | None:
    """Where the serving soldiers are: the front is what the war consumes, the rest is pipeline and losses."""
    columns = _present(run, LOCATIONS)
    if not columns:
        return None
    data = run.series[columns].rename(columns=lambda c: c.removeprefix("soldiers_"))
    return Chart("soldiers_by_location", "Soldiers by location", _lines(data, "soldiers", stacked=True), data)


def recruits(run) -> Chart | None:
    columns = _present(run, [f"recruits_{s}" for s in C.STREAM_NAMES])
    if not columns:
        return None
    data = _monthly(run.series[columns]).rename(columns=lambda c: c.removeprefix("recruits_"))
    return Chart("recruits_by_stream", "Recruits by stream, per month", _bars(data, "recruits per month"), data)


def deaths(run) -> Chart | None:
    if "killed" not in set(run.by_stream["variable"]):
        return None
    data = _monthly(run.stream("killed").reindex(columns=list(C.STREAM_NAMES), fill_value=0.0))
    return Chart("deaths_by_stream", "Deaths by stream, per month", _bars(data, "killed per month"), data)


def balance(run) -> Chart | None:
    """Requirement against deployable strength, the Armed Forces against their authorised strength (top), and
    the shortfall with the rung of the response ladder it drives (bottom)."""
    strengths = _present(run, ["requirement", "deployable_strength", "authorised_strength", "serving_armed_forces"])
    if not {"requirement", "deployable_strength", "shortfall"} <= set(run.series.columns):
        return None
    data = run.series[[*strengths, "shortfall"]].copy()
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.06,
                           specs=[[{}], [{"secondary_y": True}]])
    for name in strengths:
        figure.add_trace(go.Scatter(x=data.index, y=data[name], name=name, mode="lines"), row=1, col=1)
    figure.add_trace(go.Scatter(x=data.index, y=data["shortfall"], name="shortfall (requirement - strength)",
                                mode="lines", fill="tozeroy"), row=2, col=1)
    if "shortfall_pressure" in run.series:
        data["ladder_rung"] = 4 * run.series["shortfall_pressure"]
        figure.add_trace(go.Scatter(x=data.index, y=data["ladder_rung"], name="ladder rung (1 money ... 4 "
                                    "mobilisation)", mode="lines", line=dict(color="black", width=1)),
                         row=2, col=1, secondary_y=True)
        figure.update_yaxes(range=[0, 4.2], title_text="rung", row=2, col=1, secondary_y=True)
    _layout(figure, "soldiers")
    figure.update_layout(height=520)
    return Chart("manpower_balance", "Requirement against strength, and the state's response", figure, data)


def support(run) -> Chart | None:
    columns = _present(run, ["support_private", "support_polled", "support_continue_polled"])
    if not columns:
        return None
    data = run.series[columns]
    figure = _lines(data, "share of men 18-59")
    figure.update_yaxes(range=[0, 1])
    return Chart("support", "Support for the war: private and polled", figure, data)


def opposition(run) -> Chart | None:
    columns = _present(run, ["opposition_active", "opposition_violent"])
    if not columns:
        return None
    data = run.series[columns]
    return Chart("opposition", "Men in opposition", _lines(data, "men"), data)


def emigration(run) -> Chart | None:
    """Departures per month (bars) and the men abroad (a stock, right axis)."""
    if not {"emigrants", "emigrated"} <= set(run.series.columns):
        return None
    data = pd.concat([_monthly(run.series[["emigrants"]]),
                      run.series["emigrated"].resample("MS").last().rename("men_abroad")], axis=1)
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(go.Bar(x=data.index, y=data["emigrants"], name="emigrants per month"))
    figure.add_trace(go.Scatter(x=data.index, y=data["men_abroad"], name="men abroad (end of month)",
                                mode="lines"), secondary_y=True)
    _layout(figure, "emigrants per month")
    figure.update_yaxes(title_text="men abroad", secondary_y=True, rangemode="tozero")
    return Chart("emigration", "Emigration and men abroad", figure, data)


def fiscal(run) -> Chart | None:
    columns = _present(run, ["fiscal_pay", "fiscal_bonuses", "fiscal_compensation"])
    if not columns:
        return None
    data = _monthly(run.series[columns]).rename(columns=lambda c: c.removeprefix("fiscal_"))
    return Chart("fiscal_cost", "Fiscal cost of the war, per month", _bars(data, "RUB per month"), data)
