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
# # How sure are we?
#
# One run is one draw of chance from one set of parameters. This tutorial runs many, in two ways, to
# separate two kinds of doubt: the noise of the agents' random choices (seed noise), and our ignorance of the
# parameters (parameter uncertainty). Then a sensitivity analysis asks which parameters the results hang on.
#
# The outputs shown here came from
# `MORALE_TUTORIAL_SCALE=100 MORALE_TUTORIAL_RUNS=20 MORALE_TUTORIAL_SAMPLES=6 MORALE_TUTORIAL_END=2027-12-31 .venv/bin/jupytext --to ipynb --execute docs/tutorials/03-how-sure.py`
# on a 2-core machine (one to one and a half minutes). The test suite runs it at scale 2000 with 4 runs, 2 Morris
# trajectories and a horizon to the end of 2024.

# %%
import os

SCALE = float(os.environ.get("MORALE_TUTORIAL_SCALE", "100"))  # persons per agent
RUNS = int(os.environ.get("MORALE_TUTORIAL_RUNS", "20"))  # runs per ensemble
SAMPLES = int(os.environ.get("MORALE_TUTORIAL_SAMPLES", "6"))  # Morris trajectories
END = os.environ.get("MORALE_TUTORIAL_END", "2027-12-31")  # last day simulated

# %%
import io
import tempfile
from pathlib import Path

import pandas as pd
from IPython.display import Image, display
from matplotlib.figure import Figure

import morale
from morale.calibration.shipped import calibrated_sample, manifest

OUT = Path(tempfile.mkdtemp(prefix="morale-tutorial-"))  # every folder this notebook writes goes here
pd.set_option("display.float_format", lambda v: f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}")


def show(fig: Figure) -> None:
    """Show a figure as a small PNG (a Figure object needs no pyplot backend)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    display(Image(buffer.getvalue()))


# %% [markdown]
# ## 1. The calibrated sample
#
# Every parameter of `russia-2022` has a plausible range. Calibration (history matching, see
# `docs/calibration.md`) ran the model over those ranges and ruled out the parameter sets whose runs
# contradict the public figures. The sets that were not ruled out ship with the package:

# %%
sample = calibrated_sample("russia-2022")
made = manifest("russia-2022")
print(f"{len(sample)} parameter sets of {sample.shape[1]} parameters, calibrated at scale {made['scale']:g} "
      f"to {made['end']}; every other parameter keeps its scenario value")
sample.describe().T[["min", "50%", "max"]].head(8)

# %% [markdown]
# ## 2. Two ensembles
#
# An ensemble is `RUNS` runs of one scenario, run i with its own seed (`SeedSequence(seed, spawn_key=(i,))`).
#
# * `calibrated=True`: run i also takes one of the calibrated parameter sets, picked from its own stream. Its
#   spread is seed noise plus the parameter uncertainty the data leave.
# * the default: every run has the scenario's own parameter values. Its spread is seed noise alone.
#
# The same outcomes are read from every run: totals of flows, last values of stocks and means.

# %%
outcomes = ["killed", "recruits_contract", "emigrants", "soldiers_front", "support_polled"]
calibrated = morale.ensemble("russia-2022", runs=RUNS, calibrated=True, scale=SCALE, end=END, seed=0,
                             outcomes=outcomes, out=OUT / "calibrated")
noise_only = morale.ensemble("russia-2022", runs=RUNS, scale=SCALE, end=END, seed=0,
                             outcomes=outcomes, out=OUT / "seed-noise")
for name, ens in (("calibrated", calibrated), ("seed noise only", noise_only)):
    print(f"{name}: {len(ens.runs)} runs, {int((ens.runs['status'] == 'ok').sum())} finished")

# %% [markdown]
# `ens.runs` has one row per run: its seed, the parameters it drew, its outcomes. The first calibrated runs:

# %%
calibrated.runs[["replicate", "seed", "combat.intensity", "recruitment.contract.intercept", *outcomes]].head()


# %% [markdown]
# ## 3. What the bands mean
#
# For each outcome, the middle 90% of the runs (5% to 95%) and its width, in both ensembles:

# %%
def spread(ens) -> pd.DataFrame:
    q = ens.runs[outcomes].quantile([0.05, 0.5, 0.95]).T
    return q.set_axis(["5%", "median", "95%"], axis=1).assign(width=lambda t: t["95%"] - t["5%"])


table = pd.concat({"calibrated": spread(calibrated), "seed noise only": spread(noise_only)}, axis=1)
table[("calibrated", "width / seed-noise width")] = (table[("calibrated", "width")]
                                                      / table[("seed noise only", "width")])
table

# %% [markdown]
# Read the last column. Where it is near 1, the parameters the data allow hardly matter for that outcome:
# what spread there is comes from chance. Where it is well above 1, the calibration leaves the outcome open,
# and more runs will not close it; only more data (a narrower calibrated sample) would.
#
# Look at the medians too. The two ensembles need not be centred on the same values: the scenario's own
# parameter values are one point of the plausible ranges, not the centre of what the data allow (in the
# sample above, `deployment.front_demand_scale` lies between about 0.8 and 0.97; the scenario says 1.0).
#
# The two kinds of doubt behave differently:
#
# * **Seed noise** is the model's own randomness: which man signs, which company breaks this week. It shrinks
#   as the scale gets finer (more agents, each standing for fewer men), and the mean of many runs pins it
#   down. Compare two scenarios with paired seeds (`01-first-what-if`) and most of it cancels.
# * **Parameter uncertainty** is what we do not know about the world: how deadly the front is, how willing
#   men are to sign. It does not shrink with scale or with more runs. The calibrated band is the honest band
#   for a forecast; a seed-only band would look far more certain than we are.
#
# Neither band includes the error of the model itself (what it leaves out or gets wrong);
# `docs/calibration.md` lists the targets the model cannot meet with any parameter set.
#
# Week by week, the same two bands for the front and for polled support:

# %%
fig = Figure(figsize=(8, 2.6))
for ax, name in zip(fig.subplots(1, 2), ("soldiers_front", "support_polled")):
    for ens, label, colour in ((calibrated, "calibrated", "tab:red"), (noise_only, "seed noise", "tab:blue")):
        band = ens.band(name)
        ax.fill_between(band.index, band[0.05], band[0.95], color=colour, alpha=0.25, lw=0)
        ax.plot(band.index, band[0.5], color=colour, lw=1.0, label=label)
    ax.set_title(f"{name}: median and 90% band", fontsize=9)
    ax.tick_params(labelsize=7)
fig.axes[0].legend(fontsize=7)
show(fig)

# %% [markdown]
# ## 4. Which parameters matter? A Morris screening
#
# The Morris method moves one parameter at a time along random paths through the parameters' ranges and
# records how much each step changes an outcome: `mu_star` is the mean size of those changes (in the
# outcome's units, per whole range), `sigma` their spread (large when a parameter acts through others or not
# in a straight line). Here we screen four parameters the calibration varies, over their plausible ranges,
# with `SAMPLES` paths: `SAMPLES x (4 + 2)` runs.
#
# `dummy=True` adds a fifth parameter the model never reads. Its `mu_star` is the floor: with paired seeds
# it is exactly 0, and `above_dummy` says whether a real parameter's effect clears that floor once its own
# uncertainty (`mu_star_conf`, a bootstrap 95% interval) is taken off.

# %%
screened = ["combat.intensity", "recruitment.contract.intercept", "opinion.baseline",
            "emigration.base_weekly_hazard"]
morris = morale.sensitivity("russia-2022", method="morris", params=screened, samples=SAMPLES, seed=0,
                            scale=SCALE, end=END, outcomes=["killed", "recruits_contract", "support_polled"],
                            dummy=True, out=OUT / "morris")
print(f"{len(morris.table)} runs, {int((morris.table['status'] == 'ok').sum())} finished")
morris.indices[["outcome", "rank", "parameter", "mu_star", "mu_star_conf", "sigma", "above_dummy"]]

# %% [markdown]
# Each outcome has its own ranking. In the committed run, deaths hang on the combat intensity, contracts on
# the willingness to sign (`intercept`) and polled support on its baseline, each well ahead of the others.
# All four clear the dummy's floor: with paired seeds that floor is exactly 0, so the test only says that a
# parameter's effect is distinguishable from none; the size of `mu_star` says how much it matters. With few
# paths (the coarse test run has 2) the ranking itself is noisy: `mu_star_conf` shows how noisy.
#
# Screening answers "what could move this result?" over the stated ranges; the calibrated ensemble answers
# "how much does it move given the data?". A parameter can matter a lot and still not widen the calibrated
# band, because the data already pin it.
#
# For a finer analysis, `method="sobol"` gives variance shares (first-order and total indices) at a cost of
# `samples x (parameters + 2)` runs with larger samples. Every experiment folder (here under a temporary
# directory) has a `report.html`; `morale report FOLDER` rebuilds it.

# %%
sorted(p.name for p in (OUT / "calibrated").iterdir())
