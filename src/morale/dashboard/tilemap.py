"""Deaths per 100,000 men by region as a tile-grid map: one square per region, placed by `region_grid.csv`.

A geographic map would need boundary files and Plotly fetches those from a CDN; a tile grid ships as a small
table and reads as well at this scale (every region the same size, so small, populous ones stay visible).
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from morale.dashboard.charts import Chart
from morale.engine.regions import load_regions, regions_from_spec


@functools.cache
def layout() -> dict[str, tuple[int, int]]:
    """Region code -> (row, column) of the packaged tile grid (comment lines at the top say where it is from)."""
    text = resources.files("morale.dashboard").joinpath("region_grid.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO("".join(line for line in text.splitlines(True) if not line.startswith("#"))))
    return {row["region_code"]: (int(row["row"]), int(row["column"])) for row in rows}


def place(codes: list[str]) -> dict[str, tuple[int, int]]:
    """Each code's tile: the packaged grid's, and regions it lacks in rows of ten below it, in code order."""
    known = layout()
    placed = {code: known[code] for code in codes if code in known}
    below = 1 + max((row for row, _ in placed.values()), default=-1)
    for i, code in enumerate(sorted(c for c in codes if c not in known)):
        placed[code] = (below + i // 10, i % 10)
    return placed


def death_rates(run) -> pd.DataFrame:
    """Killed over the whole run per 100,000 men aged 18-59 at the start, by region (code, name, rate)."""
    specs = run.scenario.population.regions
    regions = load_regions() if specs is None else regions_from_spec(specs)
    killed = run.region("killed").sum().reindex(list(regions.codes), fill_value=0.0).to_numpy(float)
    return pd.DataFrame({"region_code": regions.codes, "region": regions.names, "killed": killed,
                         "killed_per_100k": killed / regions.men_18_59 * 1e5})


def death_map(run) -> Chart | None:
    """The tile map, or None for a scenario of one region (nothing to compare) or a run without regions."""
    if "killed" not in set(run.by_region["variable"]):
        return None
    data = death_rates(run)
    if len(data) < 2:
        return None
    tiles = place(list(data["region_code"]))
    shape = (1 + max(r for r, _ in tiles.values()), 1 + max(c for _, c in tiles.values()))
    rate, code, name = np.full(shape, np.nan), np.full(shape, "", dtype=object), np.full(shape, "", dtype=object)
    for row in data.itertuples(index=False):
        r, c = tiles[row.region_code]
        rate[r, c], code[r, c], name[r, c] = row.killed_per_100k, row.region_code, row.region
    figure = go.Figure(go.Heatmap(z=rate, text=code, customdata=name, texttemplate="%{text}", xgap=3, ygap=3,
                                  colorscale="Reds", colorbar=dict(title="per 100k"), hoverongaps=False,
                                  hovertemplate="%{customdata} (%{text}): %{z:,.0f} killed per 100,000 men"
                                                "<extra></extra>"))
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    figure.update_layout(height=60 + 42 * shape[0], margin=dict(l=10, r=10, t=30, b=10),
                         plot_bgcolor="rgba(0,0,0,0)")
    start, end = run.series.index[0], run.series.index[-1]
    return Chart("deaths_by_region", f"Killed per 100,000 men aged 18-59, by region, {start:%Y-%m-%d} to "
                 f"{end:%Y-%m-%d}", figure, data.set_index("region_code"))
