# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Your first what-if
#
# You will run the default scenario (`russia-2022`), change two things, pay and the exit ban, and see whether
# the changes matter more than the noise. Then you will read what a run leaves behind.
#
# The outputs shown here came from
# `MORALE_TUTORIAL_SCALE=50 MORALE_TUTORIAL_RUNS=10 MORALE_TUTORIAL_END=2027-12-31 .venv/bin/jupytext --to ipynb --execute docs/tutorials/01-first-what-if.py`
# on a 2-core machine (under a minute). The test suite runs the same file at scale 2000 with 3 runs to
# mid-2025, so its numbers are much coarser; the code is the same.

# %%
import os

SCALE = float(os.environ.get("MORALE_TUTORIAL_SCALE", "50"))  # persons per agent
RUNS = int(os.environ.get("MORALE_TUTORIAL_RUNS", "10"))  # paired runs in the comparison
END = os.environ.get("MORALE_TUTORIAL_END", "2027-12-31")  # last day simulated

# %%
import io
import json
import tempfile
import warnings
from pathlib import Path

import pandas as pd
from IPython.display import Image, display
from matplotlib.figure import Figure

import morale
from morale.results.targets import compare as against_targets

OUT = Path(tempfile.mkdtemp(prefix="morale-tutorial-"))  # every folder this notebook writes goes here
pd.set_option("display.float_format", lambda v: f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}")


def show(fig: Figure) -> None:
    """Show a figure as a small PNG (a Figure object needs no pyplot backend)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    display(Image(buffer.getvalue()))


# %% [markdown]
# ## 1. The default run
#
# `morale.run` simulates every man of military age week by week. `scale` is how many men one agent stands
# for: 50 means one agent for 50 men, which keeps a run to a few seconds. Every count the model reports is
# in persons (agents times scale), so changing the scale changes the noise, not the units.

# %%
base = morale.run("russia-2022", seed=0, scale=SCALE, end=END)
print(f"{len(base.series)} weeks, {base.series.index[0]:%Y-%m-%d} to {base.series.index[-1]:%Y-%m-%d}, "
      f"{base.series.shape[1]} series")


# %% [markdown]
# `run.series` has one row per week and one column per series (`morale series` lists them with their
# meaning). Some are flows (recruits, deaths: summed over a year), some are stocks (soldiers at the front:
# read at a date, or averaged). A yearly summary:

# %%
def yearly(run) -> pd.DataFrame:
    s = run.series
    return pd.DataFrame({
        "recruits": s["recruits"].resample("YE").sum(),
        "contract recruits": s["recruits_contract"].resample("YE").sum(),
        "killed": s["killed"].resample("YE").sum(),
        "emigrants": s["emigrants"].resample("YE").sum(),
        "front (mean)": s["soldiers_front"].resample("YE").mean(),
    }).set_axis(s.index.year.unique(), axis=0)


yearly(base)

# %% [markdown]
# ## 2. Pin a parameter: no federal sign-up bonus, ever
#
# `overrides={"pay.federal_bonus": 0}` holds the federal bonus at 0 for the whole run. The scenario raises
# that bonus twice by dated events; a pin switches those events off, and says so in a warning for each one.
# We collect the warnings to print them plainly.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    no_bonus = morale.run("russia-2022", seed=0, scale=SCALE, end=END, overrides={"pay.federal_bonus": 0})
for w in caught:
    print(f"{w.category.__name__}: {w.message}")


# %% [markdown]
# Same seed, same everything else. The state does not sit still: when contracts fall short, its response
# ladder raises the regions' bonuses, so part of the missing federal money comes back as regional money.

# %%
def totals(run) -> pd.Series:
    s = run.series
    return pd.Series({"contract recruits": s["recruits_contract"].sum(), "all recruits": s["recruits"].sum(),
                      "killed": s["killed"].sum(), "emigrants": s["emigrants"].sum(),
                      "mean regional bonus, last year (RUB)": s["regional_bonus_mean"].iloc[-52:].mean(),
                      "mean rung of the response ladder (0-4)": 4 * s["shortfall_pressure"].mean()})


pd.DataFrame({"default": totals(base), "no federal bonus": totals(no_bonus)}).assign(
    difference=lambda t: t["no federal bonus"] - t["default"])

# %% [markdown]
# ## 3. A dated change, and dropping an event
#
# A pin rewrites the whole run. A dated event changes one thing from one week on: here the exit ban for men
# who received a call-up paper is lifted on 1 January 2025. `drop_events` switches a scenario's own event off
# by its id (`morale show russia-2022 --events` lists them): dropping `exit-ban` means the ban never came.

# %%
LIFT = "2025-01-01"
lifted = morale.run("russia-2022", seed=0, scale=SCALE, end=END, events=[f"{LIFT}:policy.exit_ban=false"])
never = morale.run("russia-2022", seed=0, scale=SCALE, end=END, drop_events=["exit-ban"])
pd.DataFrame({name: run.series.loc[LIFT:, ["emigrants", "summoned_emigrants"]].sum()
              for name, run in (("default", base), ("ban lifted 2025", lifted), ("never a ban", never))})

# %% [markdown]
# One run each is one draw of chance. Is the difference above real, or noise? Only many runs can tell.
#
# ## 4. Compare with paired seeds
#
# `morale.compare(A, B, runs=N)` runs both scenarios N times. Run i of A and run i of B share their seed
# (common random numbers), so their difference is the effect of the change, not of different luck. B here is
# the default with the ban lifted: `morale.load_scenario` applies the what-if and returns a scenario object,
# which we rename so that the tables say which arm is which.

# %%
ban_lifted = morale.load_scenario("russia-2022", events=[f"{LIFT}:policy.exit_ban=false"])
ban_lifted = ban_lifted.model_copy(update={"name": "ban-lifted-2025"})
outcomes = [f"sum(emigrants, {LIFT}:{END})", f"sum(summoned_emigrants, {LIFT}:{END})", "killed"]
comparison = morale.compare("russia-2022", ban_lifted, runs=RUNS, seed=0, scale=SCALE, end=END,
                            outcomes=outcomes, out=OUT / "compare", report=False)
comparison.effects[["outcome", "mean A", "mean B", "mean B-A", "ci95 low", "ci95 high", "share B>A",
                    "replicates"]]

# %% [markdown]
# How to read it: `mean B-A` is the average paired difference, `ci95 low`/`ci95 high` its 95% interval over
# the replicates, and `share B>A` how many of the paired runs moved the same way. An interval that excludes 0
# says the change has an effect at this scale and horizon; an interval across 0 says these runs cannot tell.
# `killed` is there for scale: set its difference against its mean. The border reaches the front only
# through who is left to recruit, so a small relative effect is what to expect.
#
# The weekly bands of both arms are in `comparison.a.quantiles` and `comparison.b.quantiles` (5, 25, 50, 75
# and 95% of the runs each week):

# %%
fig = Figure(figsize=(6.5, 2.6))
ax = fig.subplots()
for arm, colour in ((comparison.a, "tab:blue"), (comparison.b, "tab:orange")):
    band = arm.band("emigrated")
    ax.fill_between(band.index, band[0.05], band[0.95], color=colour, alpha=0.25, lw=0)
    ax.plot(band.index, band[0.5], color=colour, lw=1.2, label=arm.spec["scenario"])
ax.axvline(pd.Timestamp(LIFT), color="grey", lw=0.8, ls="--")
ax.set_title("men abroad (stock): median and 90% band over runs", fontsize=9)
ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
ax.legend(fontsize=7)
ax.tick_params(labelsize=7)
show(fig)

# %% [markdown]
# ## 5. What a run leaves behind
#
# `run.save(folder)` writes the same folder as `morale run russia-2022 --out folder`: the resolved scenario
# (every parameter with its value, range and source), the tables as Parquet, a manifest saying what made it,
# and a self-contained `report.html` to open in a browser.

# %%
folder = base.save(OUT / "russia-2022", command="tutorial 01")
pd.DataFrame([(p.name, p.stat().st_size // 1024) for p in sorted(folder.iterdir())], columns=["file", "KiB"])

# %%
manifest = json.loads((folder / "manifest.json").read_text())
{key: manifest[key] for key in ("scenario", "seed", "scale", "start", "end", "morale_version")}

# %% [markdown]
# The report's tables come from the run object, so you can also read them in Python. Its "model against
# targets" table sets the run beside the public figures the scenario was calibrated to: a target is met when
# the model falls between `low` and `high`. Here are the ones this single run misses (`docs/calibration.md`
# discusses which misses are known weaknesses of the model; a coarse scale adds noise of its own).

# %%
targets = against_targets(base.series, base.scenario)
print(f"{int(targets['met'].sum())} of {len(targets)} targets inside this run are met at scale {SCALE:g}")
targets.loc[~targets["met"], ["target", "period_start", "period_end", "model", "low", "high"]].head(10)

# %% [markdown]
# ## Where next
#
# * `02-step-the-model`: step a run week by week and look inside it.
# * `03-how-sure`: bands over the calibrated parameter sets, and which parameters matter.
# * The same what-ifs from the command line: `morale run russia-2022 --set pay.federal_bonus=0`,
#   `--event 2025-01-01:policy.exit_ban=false`, `--drop-event exit-ban`, and
#   `morale compare russia-2022 russia-2022 --b-event 2025-01-01:policy.exit_ban=false`.
