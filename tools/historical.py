"""Write docs/historical.md: the other wars as out-of-sample tests, from their scenario files and ensembles.

Usage: python tools/historical.py [--runs 20] [--out runs/historical] [--docs docs] [--workers N]
                                  [--only usa-vietnam-1965,...]

For each scenario of another war (`morale.scenario.transfer.OTHER_WARS`) it writes: what the scenario sets
and from which source (every parameter, policy and event that differs from russia-2022), what it carries
over unchanged (the transfer rule), its deaths against the war's records (the one series it was fitted to),
and its **predictions** for what was not used: support, desertions, absences, emigration, evasion abroad and
captured men per year,
median and 90% band over an ensemble whose parameters are drawn from their ranges (`--uncertainty`), so the
band holds the uncertainty of the transferred behaviour as well as the noise. The predictions are recorded as
they come out, to be checked later against data kept apart from this work.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import morale
from morale.experiments.ensemble import ensemble
from morale.results.historical import DEATH_TARGETS, deaths_against_targets
from morale.results.report import markdown_table
from morale.scenario.schema import parameters
from morale.scenario.transfer import OTHER_WARS, SOURCE_SCENARIO, behavioural

PREDICTED = {"support_polled": ("mean", "support for the war, polled (share)"),
             "desertions": ("sum", "desertions (persons)"),
             "awol": ("sum", "men absent without leave (persons)"),
             "emigrants": ("sum", "emigrants, men 18-59 (persons)"),
             "summoned_emigrants": ("sum", "of whom evaders abroad: summoned before they left (persons)"),
             "captured": ("sum", "captured (persons)"),
             "killed": ("sum", "killed (persons; fitted, shown for reference)")}


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("runs/historical"))
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--scheduler", default="processes")
    parser.add_argument("--scale", type=float, default=None, help="default: each scenario's own")
    parser.add_argument("--only", default=",".join(OTHER_WARS))
    args = parser.parse_args(argv)
    source = morale.load_scenario(SOURCE_SCENARIO)
    sections = []
    for name in args.only.split(","):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ens = ensemble(name, runs=args.runs, seed=0, uncertainty=True, scale=args.scale, out=args.out / name,
                           scheduler=args.scheduler, workers=args.workers, force=True)
        sections.append(section(morale.load_scenario(name), source, ens))
    path = args.docs / "historical.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(INTRO.format(runs=args.runs) + "\n".join(sections), encoding="utf-8")
    return path


INTRO = """# Other wars as out-of-sample tests

Each scenario below carries the mechanisms and the behaviour of `russia-2022` unchanged to another war and
sets only that country's and that war's facts (the transfer rule, `morale.scenario.transfer`: a behavioural
parameter may differ only with a source starting `anchor:` or `country fact:`, and a test holds every scenario
to it). Combat intensity is fitted to each war's deaths; everything else below is a **prediction**, written
down as it came out, to be checked later against data kept apart from this work. Written by
`tools/historical.py` from ensembles of {runs} runs per war with parameters drawn from their ranges
(`morale ensemble NAME --uncertainty --runs {runs}`, seed 0, each scenario's own scale).

The deaths tables below are over that ensemble, combat intensity and every other ranged parameter drawn, so
they are wider than the fit at the central values (reported in each scenario file and checked by
`tests/test_historical.py`). Each war starts with its file's own account: what it sets, how it represents the
war, and the mechanisms the war needs that the model lacks.

Each recording replaces the last one here and stays in the repository's history: the first (commit cca8138)
came before the rear sent its most recent men first, withdrew a surplus and kept the one-year tour, and before
the anchor on US volunteer enlistment. A later model change that moves a prediction makes a new recording, not
a silent edit.

"""


def markdown(frame: pd.DataFrame) -> str:
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.0f}"
        return str(value)

    return markdown_table(frame, cell)


def what_was_set(scenario, source) -> pd.DataFrame:
    """Numeric parameters whose value or source differs from the source scenario, with their source."""
    theirs = parameters(source)
    rows = [(path, p.value, (p.source or "")[:160]) for path, p in parameters(scenario).items()
            if path not in theirs or p.value != theirs[path].value or p.source != theirs[path].source]
    return pd.DataFrame(rows, columns=["parameter", "value", "source"])


def switches(scenario, source) -> pd.DataFrame:
    """Policies and discipline regimes that differ from the source scenario."""
    rows = []
    for group in ("policy", "discipline.regime"):
        mine, theirs = scenario, source
        for part in group.split("."):
            mine, theirs = getattr(mine, part), getattr(theirs, part)
        for field, value in mine.model_dump().items():
            if theirs.model_dump().get(field) != value:
                rows.append((f"{group}.{field}", value))
    return pd.DataFrame(rows, columns=["setting", "value"])


def events(scenario) -> pd.DataFrame:
    return pd.DataFrame([(str(e.date), e.target, e.value, (e.source or "")[:120]) for e in scenario.events],
                        columns=["date", "target", "value", "source"])


def finished_series(ens) -> list[pd.DataFrame]:
    """The weekly series of the ensemble's finished runs, read once."""
    ok = ens.runs[ens.runs["status"] == "ok"]
    return [ens.series(int(i)) for i in ok["run"]]


def yearly(runs: list[pd.DataFrame], names: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Per year and series: median and 5%-95% over the runs."""
    per_run = [{name: getattr(series[name].groupby(series.index.year), how)() for name, (how, _) in names.items()}
               for series in runs]
    rows = []
    for name, (_, label) in names.items():
        table = pd.DataFrame([run[name] for run in per_run])
        for year in table.columns:
            q = np.nanquantile(table[year].to_numpy(dtype=float), [0.05, 0.5, 0.95])
            rows.append((label, int(year), q[1], f"{q[0]:,.3g}..{q[2]:,.3g}" if q[1] < 1 else
                         f"{q[0]:,.0f}..{q[2]:,.0f}"))
    return pd.DataFrame(rows, columns=["series", "year", "median", "90% band"])


def deaths_fit(runs: list[pd.DataFrame], name: str) -> pd.DataFrame:
    fits = [deaths_against_targets(series, name) for series in runs]
    first = fits[0]
    models = np.array([f["model"].to_numpy() for f in fits])
    within = np.array([f["within"].to_numpy() for f in fits]).mean(axis=0)
    return pd.DataFrame({"period": [f"{a.date()}..{b.date()}" for a, b in zip(first["period_start"],
                                                                               first["period_end"])],
                         "records": first["value"], "band": [f"{lo:,.0f}..{hi:,.0f}" for lo, hi in
                                                             zip(first["low"], first["high"])],
                         "model median": np.median(models, axis=0),
                         "model 5%..95%": [f"{lo:,.0f}..{hi:,.0f}" for lo, hi in
                                           zip(*np.quantile(models, [0.05, 0.95], axis=0))],
                         "runs within band": [f"{w:.0%}" for w in within]})


def account(name: str) -> str:
    """The scenario file's header comment: its author's account of what is set and what is missing."""
    from importlib import resources

    text = resources.files("morale.scenario").joinpath(f"builtin/{name}.toml").read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].strip())
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def section(scenario, source, ens) -> str:
    set_here = what_was_set(scenario, source)
    kept = [p for p, v in parameters(scenario).items() if behavioural(p) and p in parameters(source)
            and v.value == parameters(source)[p].value]
    anchors = set_here[set_here["source"].str.lower().str.startswith(("anchor:", "country fact:"))]
    runs = finished_series(ens)
    ok = len(runs)
    return (f"## {scenario.name}\n\n{scenario.description}. {scenario.start} to {scenario.end}, scale "
            f"{ens.spec.get('scale') or scenario.scale:g}; {ok} of {len(ens.runs)} runs finished.\n\n"
            f"### The scenario file's account\n\n{account(scenario.name)}\n\n"
            f"### What the scenario sets\n\n{markdown(set_here)}\n\n{markdown(switches(scenario, source))}\n\n"
            f"Dated events:\n\n{markdown(events(scenario))}\n\n"
            f"### What it carries over\n\n{len(kept)} behavioural parameters keep the values of "
            f"`{SOURCE_SCENARIO}`; {len(anchors)} are set from an anchor or as a country fact (listed above with "
            f"sources starting `anchor:` or `country fact:`).\n\n"
            f"### Deaths against the records (fitted)\n\n{DEATH_TARGETS[scenario.name].note}.\n\n"
            f"{markdown(deaths_fit(runs, scenario.name))}\n\n"
            f"### Predictions (not fitted)\n\n{markdown(yearly(runs, PREDICTED))}\n")


if __name__ == "__main__":
    print(main())
