"""Answer the analyst's four questions end to end and write docs/questions.md from the runs.

Usage: python tools/questions.py [--scale 100] [--samples 200] [--runs 40] [--end 2029-12-31]
                                 [--sustain-end 2035-12-31] [--out runs/questions] [--docs docs] [--workers N]

Each question is one or two public commands (their command lines are printed in the document beside the
numbers); this script calls the same functions in process (resuming its folders, so a second call with the
same settings only rewrites the document), then writes `DOCS/questions.md` and its figures in
`DOCS/img/questions/`. CI runs it at a coarse scale into a temporary folder (tests/test_questions_script.py) so
that it keeps working; the committed document comes from the documented finer run. Where a question cannot be
answered by these runs (no run fails, say), the document says so instead of printing a number.
"""

from __future__ import annotations

import argparse
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from morale.experiments.compare import compare
from morale.experiments.discovery import discover
from morale.experiments.ensemble import ensemble
from morale.experiments.survival import survival
from morale.experiments.sweep import sweep
from morale.results.report import markdown_table

# Manpower levers with ranges: what the state and the war set (intensity, demand, pay, the response ladder),
# what men weigh (risk, support, wages), and when the requirement counts as failed.
DISCOVERY_PARAMETERS = [
    "combat.intensity", "deployment.front_demand_scale", "deployment.front_share_of_war_zone", "pay.monthly_pay",
    "recruitment.contract.intercept", "recruitment.contract.risk_weight", "recruitment.contract.support_weight",
    "recruitment.contract.wage_elasticity", "recruitment.coercion.response_weekly_quota",
    "recruitment.conversion.response_weekly_hazard", "recruitment.convicts.ministry_response_weekly_hazard",
    "recruitment.shortfall.failure_share", "mind.flee_constant", "mind.refuse_constant",
    "service.contract_term_weeks",
]
CHANGE_DATE = "2027-01-01"  # "next year", seen from the model's present (the data run to 2026)
YEAR = CHANGE_DATE[:4]
EXIT_OUTCOMES = [f"sum(emigrant_departures, {YEAR})", f"sum(emigrants, {YEAR})", f"sum(recruits, {YEAR})",
                 f"sum(recruits_contract, {YEAR})", f"mean(soldiers_front, {YEAR})", "max(requirement_failed)"]
EXECUTION_EVENTS = [f"{CHANGE_DATE}:discipline.lethal.refuser_execute_share=0",
                    f"{CHANGE_DATE}:discipline.lethal.fleer_execute_share=0"]
EXECUTION_OUTCOMES = [f"sum(executions, {YEAR})", f"sum(refusals, {YEAR})", f"sum(desertions, {YEAR})",
                      f"sum(surrenders, {YEAR})", f"mean(soldier_morale_mean, {YEAR})", f"sum(killed, {YEAR})",
                      f"mean(soldiers_front, {YEAR})", "max(requirement_failed)"]


@dataclass
class Settings:
    scale: float
    samples: int
    runs: int
    end: str
    sustain_end: str
    out: Path
    docs: Path
    workers: int | None
    scheduler: str = "processes"


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--samples", type=int, default=200, help="LHS points of the discovery sweep")
    parser.add_argument("--runs", type=int, default=40, help="runs per ensemble and per arm of a comparison")
    parser.add_argument("--end", default="2029-12-31")
    parser.add_argument("--sustain-end", default="2035-12-31", help="horizon of the sustainment question")
    parser.add_argument("--out", type=Path, default=Path("runs/questions"))
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--scheduler", default="processes")
    args = parser.parse_args(argv)
    settings = Settings(args.scale, args.samples, args.runs, args.end, args.sustain_end, args.out, args.docs,
                        args.workers, args.scheduler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # what-if notes about switched-off events are in each report
        sections = [conditions_of_failure(settings), sustainment(settings), exit_ban(settings),
                    executions(settings)]
    return write_document(settings, sections)


def common(s: Settings, end: str | None = None) -> dict:
    return {"scale": s.scale, "end": end or s.end, "scheduler": s.scheduler, "workers": s.workers, "resume": True}


def flags(s: Settings, end: str | None = None) -> str:
    return f"--scale {s.scale:g} --end {end or s.end}"


def figure(s: Settings, source: Path, name: str) -> str:
    """Copy a figure into the document's image folder; its Markdown."""
    folder = s.docs / "img" / "questions"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, folder / name)
    return f"![{name}](img/questions/{name})"


def markdown(frame: pd.DataFrame) -> str:
    return markdown_table(frame, lambda value: f"{value:,.4g}" if isinstance(value, float) else str(value))


# 1. under which conditions does the requirement fail? ----------------------------------------------------------
def conditions_of_failure(s: Settings) -> str:
    folder = s.out / "failure-sweep"
    params = " ".join(f"--param {p}" for p in DISCOVERY_PARAMETERS)
    sweep("russia-2022", params=DISCOVERY_PARAMETERS, design="lhs", samples=s.samples, runs=1, seed=0,
          outcomes=["max(requirement_failed)"], out=folder, **common(s))
    head = (f"## 1. Under which conditions does Russia fail to fill its requirement by {s.end}?\n\n"
            f"```\nmorale sweep russia-2022 --design lhs --samples {s.samples} {params} "
            f"--outcome 'max(requirement_failed)' {flags(s)} --out {folder}\n"
            f"morale discover {folder} --condition requirement_failed\n```\n\n"
            f"A Latin hypercube of {s.samples} points over {len(DISCOVERY_PARAMETERS)} manpower parameters, each "
            f"over its stated uncertainty range, one run per point (seed 0), the rest of `russia-2022` as it is. "
            f"A run fails when its requirement does, by the model's one definition (13 consecutive weeks more "
            f"than `failure_share` short with the response ladder at its top).\n\n")
    try:
        found = discover(folder, "requirement_failed", out=folder / "discover", force=True)
    except ValueError as err:
        return head + f"**Not answered by these runs:** {err}.\n"
    result = found.boxes
    row = result.trajectory.set_index("id").loc[result.chosen]
    share = result.stability.set_index("parameter")["share restricted"]
    box = result.limits.assign(**{"bootstrap share": [share.get(p) for p in result.limits["parameter"]]})
    return (head + f"**{result.positives} of {result.total} runs fail.** PRIM's box {result.chosen} (the last "
            f"point of the peeling trajectory with density at least {result.threshold:g}) holds "
            f"{row['coverage']:.0%} of the failing runs (coverage) and {row['density']:.0%} of the runs in it fail "
            f"(density); it restricts {int(row['res_dim'])} parameters:\n\n{markdown(box)}\n\n"
            f"{strong_restrictions(box)}\n\n"
            f"The CART tree (a different, greedy search) for comparison:\n\n```\n{result.tree_rules}```\n\n"
            f"{figure(s, folder / 'discover' / 'trajectory.png', 'failure-trajectory.png')}\n"
            f"{figure(s, folder / 'discover' / 'pairs.png', 'failure-pairs.png')}\n")


def strong_restrictions(box: pd.DataFrame) -> str:
    """The restrictions that hold up: a side with a quasi-p-value below 0.05, restricted in 80% of resamples."""
    strong = box[(box[["qp low", "qp high"]].min(axis=1) < 0.05) & (box["bootstrap share"] >= 0.8)]
    if strong.empty:
        return ("No restriction holds up (a side with a quasi-p-value below 0.05, restricted in at least 80% of "
                "bootstrap resamples): these runs do not single out a condition.")
    sides = []
    for row in strong.itertuples(index=False):
        low, high = row[box.columns.get_loc("qp low")], row[box.columns.get_loc("qp high")]
        side = f"at least {row.low:.4g}" if (low < 0.05 and not high < 0.05) else (
            f"at most {row.high:.4g}" if not low < 0.05 else f"between {row.low:.4g} and {row.high:.4g}")
        sides.append(f"`{row.parameter}` {side} (prior {row[3]:.4g}..{row[4]:.4g})")
    return ("The restrictions that hold up (a side with a quasi-p-value below 0.05, restricted in at least 80% of "
            "bootstrap resamples): " + "; ".join(sides) + ". The others are weak evidence.")


# 2. how much longer can recruitment keep up? -------------------------------------------------------------------
def sustainment(s: Settings) -> str:
    folder = s.out / f"calibrated-{s.sustain_end}"
    ensemble("russia-2022", runs=s.runs, seed=0, calibrated=True, outcomes=["max(requirement_failed)"],
             out=folder, **common(s, s.sustain_end))
    result = survival(folder)
    failed = int(result.failures["failed"].sum())
    median = result.median_failure()
    years = range(2024, int(s.sustain_end[:4]) + 1)
    shares = pd.DataFrame({"by the end of": [f"{y}" for y in years],
                           "share of runs failed": [f"{result.share_failed_by(f'{y}-12-31'):.0%}" for y in years]})
    dates = result.failures.loc[result.failures["failed"], "failure_date"].dt.date.value_counts().sort_index()
    when = ("" if dates.empty else " They fail on " + ", ".join(f"{d} ({n} run{'s' * (n > 1)})"
                                                               for d, n in dates.head(10).items()) + ".")
    verdict = (f"Half the runs have failed by **{median.date()}**." if median is not None else
               f"**Fewer than half the runs fail by {s.sustain_end}**: the median failure date lies beyond the "
               f"horizon, so the model answers \"not before {s.sustain_end}\" for most of what the data allow.")
    plain = "" if failed else (" No run fails within the horizon, so this ensemble gives a lower bound only: "
                               "recruitment keeps up at least to " + s.sustain_end + " in every run.")
    return (f"## 2. How much longer can Russia sustain recruitment at current losses?\n\n"
            f"```\nmorale ensemble russia-2022 --calibrated --runs {s.runs} {flags(s, s.sustain_end)} --out {folder}\n"
            f"morale survival {folder}\n```\n\n"
            f"{s.runs} runs, each with a parameter set of the shipped calibrated sample (what the data allow) and "
            f"its own seed (seed 0). Losses continue at the calibrated intensity and the last sourced front "
            f"demand holds after its last date (an assumption: nobody has said what the war needs later). The "
            f"answer is a distribution of the date each run first fails its requirement, not one date.\n\n"
            f"**{failed} of {len(result.failures)} runs fail by {s.sustain_end}.**{when} {verdict}{plain}\n\n"
            f"{markdown(shares)}\n\n"
            f"{figure(s, folder / 'survival' / 'survival.png', 'survival.png')}\n")


# 3 and 4. what-ifs from next year ------------------------------------------------------------------------------
def what_if(s: Settings, name: str, events: list[str], outcomes: list[str]) -> tuple[str, pd.DataFrame, Path]:
    from morale.scenario.loader import load_scenario

    folder = s.out / name
    changed = load_scenario("russia-2022", events=events)
    result = compare("russia-2022", changed, runs=s.runs, seed=0, outcomes=outcomes, out=folder, **common(s))
    command = ("morale compare russia-2022 russia-2022 " + " ".join(f"--b-event {e}" for e in events) +
               f" --runs {s.runs} {flags(s)} " + " ".join(f"--outcome '{o}'" for o in outcomes))
    effects = result.effects[["outcome", "mean A", "mean B", "mean B-A", "ci95 low", "ci95 high", "share B>A"]]
    return command, effects, folder


def exit_ban(s: Settings) -> str:
    command, effects, folder = what_if(s, "exit-ban-lifted", [f"{CHANGE_DATE}:policy.exit_ban=false"],
                                       EXIT_OUTCOMES)
    return (f"## 3. What happens if the exit ban is lifted next year?\n\n```\n{command}\n```\n\n"
            f"A is `russia-2022`; B is the same scenario with the exit ban lifted on {CHANGE_DATE} (one dated "
            f"event, no file). Paired runs share seeds, so B - A is the policy's effect, not noise. {s.runs} "
            f"pairs, seed 0; the 95% interval is over pairs.\n\n{markdown(effects)}\n\n"
            f"{figure(s, folder / 'differences.png', 'exit-ban-differences.png')}\n")


def executions(s: Settings) -> str:
    command, effects, folder = what_if(s, "no-executions", EXECUTION_EVENTS, EXECUTION_OUTCOMES)
    killed = effects.set_index("outcome").loc[f"sum(killed, {YEAR})"]
    same_deaths = killed["ci95 low"] <= 0 <= killed["ci95 high"]
    caveat = ("Deaths hardly move: in this model they follow from the front's requirement and the combat "
              "intensity, both inputs, so a change in discipline shows in refusals, flight and morale, not in "
              "the death toll. That is an assumption of the model, not a finding about the war." if same_deaths
              else "Deaths move as well; see docs/ODD.md for how refusals feed back into losses.")
    return (f"## 4. What if executions stopped?\n\n```\n{command}\n```\n\n"
            f"From {CHANGE_DATE}, units under lethal discipline no longer execute refusers or men caught fleeing "
            f"(both shares set to 0); they still detain them and send them to penal units, and the blocking "
            f"detachments still catch fleeing men. {s.runs} pairs, seed 0.\n\n{markdown(effects)}\n\n{caveat}\n\n"
            f"{figure(s, folder / 'differences.png', 'executions-differences.png')}\n")


def write_document(s: Settings, sections: list[str]) -> Path:
    path = s.docs / "questions.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    intro = ("# The analyst's questions, answered end to end\n\n"
             "Four questions as an analyst asks them, each answered with public commands, the numbers they "
             "gave and their pictures. Everything here is written by `tools/questions.py` from its runs: "
             f"`python tools/questions.py --scale {s.scale:g} --samples {s.samples} --runs {s.runs} --end {s.end}` "
             f"(scale {s.scale:g} persons per agent; seeds stated per question). Numbers are model results under "
             "the assumptions of `docs/ODD.md` and the calibration of `docs/calibration.md`, not forecasts.\n\n")
    path.write_text(intro + "\n".join(sections), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(main())
