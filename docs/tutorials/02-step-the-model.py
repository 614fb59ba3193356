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
# # Step the model yourself
#
# `morale.run` is a loop over a `morale.Simulation`. Here you drive that loop by hand, one week at a time, and
# look inside between steps: the date, the series recorded so far, where every man is, and the soldiers'
# own arrays. If you know Mesa, `sim.step()` is `Model.step()` and the weekly table we build is a
# `DataCollector`.
#
# The outputs shown here came from
# `MORALE_TUTORIAL_SCALE=20 MORALE_TUTORIAL_END=2024-12-31 .venv/bin/jupytext --to ipynb --execute docs/tutorials/02-step-the-model.py`
# on a 2-core machine (about ten seconds). The test suite runs the same file at scale 2000 to March 2023.

# %%
import os

SCALE = float(os.environ.get("MORALE_TUTORIAL_SCALE", "20"))  # persons per agent
END = os.environ.get("MORALE_TUTORIAL_END", "2024-12-31")  # last day simulated (after 2022-09-21)

# %%
import datetime as dt
import io

import numpy as np
import pandas as pd
from IPython.display import Image, display
from matplotlib.figure import Figure

import morale
from morale.engine import codes as C

pd.set_option("display.float_format", lambda v: f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}")


def show(fig: Figure) -> None:
    """Show a figure as a small PNG (a Figure object needs no pyplot backend)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    display(Image(buffer.getvalue()))


# %% [markdown]
# ## 1. A simulation before its first week
#
# Creating the simulation builds the population (one agent per `SCALE` men aged 18-59, by region and
# birth week), the pre-war army and the prisons. Nothing has happened yet: week 0 has not been stepped.

# %%
sim = morale.Simulation("russia-2022", seed=0, scale=SCALE, end=END)
print(f"date {sim.date}, week {sim.week} of {sim.calendar.n_weeks}, done: {sim.done}")
sim.persons_by_status()

# %% [markdown]
# `persons_by_status()` counts persons, the unit of every series. The state itself holds agents: divide by
# the scale to get them. (The person arrays also hold rows for boys who turn 18 later in the run; they are
# nobody yet and are counted nowhere.)

# %%
agents = sim.state.status_agents[: C.UNBORN]
print(f"{agents.sum():,} agents stand for {agents.sum() * SCALE:,.0f} men; "
      f"{len(sim.state.status) - agents.sum():,} rows wait to turn 18")

# %% [markdown]
# ## 2. One week
#
# `step()` applies the week's dated events, then runs each process in a fixed order (economy, recruitment,
# training, deployment, combat, morale, discipline, information, opinion, opposition, emigration, service,
# the manpower balance) and records the week. `sim.series` holds what has been recorded so far.

# %%
sim.step()
print(f"now {sim.date}, week {sim.week}")
sim.series[["soldiers_front", "recruits", "killed", "emigrants", "support_polled"]]


# %% [markdown]
# ## 3. A collector of your own
#
# The series are the model's own record. To watch something it does not record, read the state after each
# step. The soldiers live in one integer table, `sim.state.soldiers`: one row per field (`C.SOLDIER_FIELDS`:
# stream, location, unit, weeks served...) and one column per soldier agent, of which the first `n_soldiers`
# are in use. `morale.engine.codes` names the codes: `C.FRONT` is a location, `C.MOBILISED` a stream.
# Their morale is a float table beside it, `sim.state.mind`.
#
# This function counts the men at the front by stream and their mean morale, in persons:

# %%
def front_by_stream(sim) -> dict:
    s = sim.state
    rows = s.soldiers[:, : s.n_soldiers]
    at_front = rows[C.S_LOCATION] == C.FRONT
    streams = rows[C.S_STREAM][at_front]
    counts = np.bincount(streams, minlength=C.N_STREAMS) * sim.scenario.scale
    morale_front = s.mind[C.M_MORALE, : s.n_soldiers][at_front]
    return {"date": sim.calendar.date(s.week - 1), **dict(zip(C.STREAM_NAMES, counts)),
            "front morale": morale_front.mean() if len(morale_front) else np.nan}


collected = [front_by_stream(sim)]
while sim.date < dt.date(2022, 9, 21):  # to the eve of the mobilisation
    sim.step()
    collected.append(front_by_stream(sim))
print(f"stepped to {sim.date} (week {sim.week})")
pd.DataFrame(collected).set_index("date").tail(3)

# %% [markdown]
# The last row is the week just stepped. Does the hand count agree with the model's own record? The
# recorder keeps `soldiers_front` for the whole army and by stream:

# %%
mine = pd.Series(collected[-1]).drop(["date", "front morale"]).astype(float)
by_stream = sim.recorder.by_stream()
last = by_stream[(by_stream["variable"] == "soldiers_front") & (by_stream["date"] == by_stream["date"].max())]
recorded = last.set_index("stream")["value"]
check = pd.DataFrame({"from the arrays": mine, "recorded": recorded})
assert np.allclose(check["from the arrays"], check["recorded"])
assert np.isclose(mine.sum(), sim.series["soldiers_front"].iloc[-1])
check

# %% [markdown]
# ## 4. Where everyone is, and nobody lost
#
# Every man is in exactly one status (civilian, serving, emigrated, in prison, jailed, dead, aged out), and
# every serving man in exactly one location. So two identities must hold every week: the statuses add up to
# everyone ever created, and the locations add up to the serving. The model checks its kept counts against
# a recount of the person table when asked (`check=True`); here we check both ourselves.

# %%
status = sim.persons_by_status()
where = sim.state.soldiers[C.S_LOCATION, : sim.state.n_soldiers]  # -1: a row whose man left service
locations = pd.Series(np.bincount(where[where >= 0], minlength=C.N_LOCATIONS) * SCALE,
                      index=list(C.LOCATION_NAMES), name="persons")
assert np.array_equal(sim.state.recount(), sim.state.status_agents)  # kept counts = recount of the table
assert np.isclose(status.sum(), sim.series["persons_created"].iloc[-1])
assert np.isclose(locations.sum(), status["serving"])
pd.concat({"status": status, "location of the serving": locations})


# %% [markdown]
# ## 5. On to the end
#
# The mobilisation of September 2022, a dated input of the scenario, begins now. Step on to the end,
# collecting as you go, and watch which streams hold the front and when (streams never at the front are left
# out of the table).

# %%
while not sim.done:
    sim.step()
    collected.append(front_by_stream(sim))
weekly = pd.DataFrame(collected).set_index("date")
weekly.index = pd.to_datetime(weekly.index)
print(f"done: {sim.done}, {len(weekly)} weeks collected")
weekly.resample("QE").mean().drop(columns=[s for s in C.STREAM_NAMES if weekly[s].max() == 0])

# %%
fig = Figure(figsize=(6.5, 2.6))
ax = fig.subplots()
shown = [s for s in C.STREAM_NAMES if weekly[s].max() > 0]
ax.stackplot(weekly.index, *(weekly[s] for s in shown), labels=shown, alpha=0.8)
ax.set_title("men at the front by recruitment stream (persons)", fontsize=9)
ax.legend(fontsize=7, loc="upper left")
ax.tick_params(labelsize=7)
show(fig)

# %% [markdown]
# The identities hold in every week recorded, not just the last:

# %%
s = sim.series
statuses = s[list(C.STATUS_NAMES)].sum(axis=1) - s["persons_created"]
soldiers = s[[f"soldiers_{loc}" for loc in C.LOCATION_NAMES]].sum(axis=1) - s["serving"]
print(f"largest breach over {len(s)} weeks: statuses {statuses.abs().max():g}, locations {soldiers.abs().max():g}")
assert statuses.abs().max() == 0 and soldiers.abs().max() == 0

# %% [markdown]
# ## 6. Stepping changes nothing
#
# Reading the state between steps does not disturb the run, and a run is fixed by its seed: the same seed
# gives the same weeks as `morale.run`, to the last digit. (Writing into the state would change the run; to
# change the world on a date, give the simulation a dated event, as in `01-first-what-if`.)

# %%
run = morale.run("russia-2022", seed=0, scale=SCALE, end=END)
pd.testing.assert_frame_equal(sim.series, run.series)
print("identical:", sim.series.shape, "==", run.series.shape)

# %% [markdown]
# `sim.result()` turns a finished (or half-finished) simulation into the same `Run` object that
# `morale.run` returns, with `.stream(...)`, `.region(...)` and `.save(...)`.
#
# Next: `03-how-sure` runs many simulations at once and asks how far to trust one.
