"""A corpus of bad input: malformed scenario files and bad command lines, each refused before any simulation.

Every case goes through the real command line in-process (typer's CliRunner) and must give: exit status 2;
exactly one line starting with `error:`; that line naming the file (or the flag), the field, the value given and
what was expected (the word "expected"), brackets intact; no traceback; and nothing written (the tree under the
test's folder, which is also the working directory, is the same before and after, so no `--out` folder and no
`runs/` appear).

Scenario cases are data: `tests/corpus/scenarios/NNN-short-name.toml`, each starting with comment lines

    # expect: fragment | fragment | ...

whose fragments must all appear in the error line (`a OR b` accepts either; `{new}` is the index of the first
event a child file adds to the default scenario's). A file's text may hold `{{TEXT*N}}`, which the test expands
to TEXT repeated N times (a 50 MB description, 2000 nested arrays) in a copy under the test's folder.
Command-line cases are the table `CLI_CASES` below.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from morale.cli import app
from morale.scenario.loader import load_scenario

CORPUS = Path(__file__).parent / "corpus" / "scenarios"
RUNNER = CliRunner()
NEW_EVENT = len(load_scenario("russia-2022").events)  # index of the first event a child file adds
# an accidental run is short and an accidental experiment small
RUN_TAIL = ["--end", "2022-03-31", "--scale", "500", "--out", "{out}"]
EXP_TAIL = ["--end", "2022-03-31", "--scale", "500", "--runs", "2", "--scheduler", "inprocess", "--out", "{out}"]
EXPAND = re.compile(r"\{\{(.*?)\*(\d+)\}\}", re.DOTALL)
MAX_LINE = 2000  # an error line a person can read (a 50 MB value must not be echoed)


def parse_expect(text: str) -> list[str]:
    """The fragments of the leading `# expect:` comment lines."""
    fragments: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# expect:"):
            fragments += [f.strip() for f in line.removeprefix("# expect:").split(" | ") if f.strip()]
    return [f.replace("{new}", str(NEW_EVENT)) for f in fragments]


SCENARIO_FILES = sorted(CORPUS.glob("*.toml"))


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else (-1, 0)
            for p in sorted(folder.rglob("*"))}


def assert_refused(result, fragments: list[str], before: dict, tmp_path: Path) -> None:
    """Exit 2, one `error:` line holding every fragment and "expected", no traceback, nothing written."""
    output = result.output
    shown = output if len(output) < 4000 else output[:2000] + " ... " + output[-2000:]
    assert result.exit_code == 2, (result.exit_code, shown, repr(result.exception))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output, shown
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, shown
    line = errors[0]
    assert len(line) <= MAX_LINE, f"error line of {len(line)} characters: {line[:300]} ..."
    assert "expected" in line.lower(), f"'expected' not in: {line}"
    for fragment in fragments:
        choices = fragment.split(" OR ")
        assert any(c in line for c in choices), f"{fragment!r} not in: {line}"
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir()), f"{out} was written: {sorted(out.iterdir())}"
    assert not (tmp_path / "runs").exists(), "a runs/ folder appeared"
    assert snapshot(tmp_path) == before, "files under the test folder changed"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_malformed_scenario_file(tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)
    raw = path.read_bytes()
    fragments = parse_expect(raw.decode("utf-8", errors="replace"))
    assert fragments, f"{path.name}: no '# expect:' line"
    text = raw.decode("utf-8", errors="surrogateescape")
    if EXPAND.search(text):  # expand into a copy: the corpus stays small
        path = tmp_path / path.name
        path.write_bytes(EXPAND.sub(lambda m: m.group(1) * int(m.group(2)), text).encode("utf-8"))
    fragments.append(path.name)  # the line names the file
    before = snapshot(tmp_path)
    args = ["run", str(path), *(a.replace("{out}", str(tmp_path / "out")) for a in RUN_TAIL)]
    assert_refused(RUNNER.invoke(app, args), fragments, before, tmp_path)


def test_corpus_is_large_enough():
    assert len(SCENARIO_FILES) >= 60
    assert len(CLI_CASES) >= 30


# --- command lines --------------------------------------------------------------------------------------------


def _file(tmp: Path) -> None:
    (tmp / "a-file").write_text("not a folder", encoding="utf-8")


def _stuff(tmp: Path) -> None:
    (tmp / "notrun").mkdir()
    (tmp / "notrun" / "stuff.txt").write_text("not a run", encoding="utf-8")


def _bad_manifest(tmp: Path) -> None:
    (tmp / "badrun").mkdir()
    (tmp / "badrun" / "manifest.json").write_text("{ not json", encoding="utf-8")


def _corrupt_parquet(tmp: Path) -> None:
    folder = tmp / "badrun"
    folder.mkdir()
    manifest = {"scenario": "russia-2022", "seed": 0, "replicate": None, "scale": 500, "start": "2022-02-24",
                "end": "2022-03-31", "timings_seconds": {}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "scenario.toml").write_text('extends = "russia-2022"\nend = 2022-03-31\n', encoding="utf-8")
    for name in ("series", "by_stream", "by_region", "events"):
        (folder / f"{name}.parquet").write_bytes(b"PAR1 this is not parquet PAR1")


def _full_out(tmp: Path) -> None:
    (tmp / "out").mkdir()
    (tmp / "out" / "keep.txt").write_text("earlier results", encoding="utf-8")


SETUPS = {"file": _file, "stuff": _stuff, "bad-manifest": _bad_manifest, "corrupt-parquet": _corrupt_parquet,
          "full-out": _full_out}
RUN = ["run", "russia-2022"]


def run(*args: str) -> list[str]:
    return [*RUN, *args, *RUN_TAIL]


def experiment(command: str, *args: str) -> list[str]:
    return [command, *args, *EXP_TAIL]


def study(command: str, *args: str) -> list[str]:
    """A sweep or sensitivity call that is complete but for its one mistake."""
    return experiment(command, *args, "--outcome", "killed@2022-03-31")


# id: (arguments ({tmp} and {out} are filled in), fragments of the error line, setup or None)
CLI_CASES: dict[str, tuple[list[str], tuple[str, ...], str | None]] = {
    # --set: values outside hard bounds, non-finite, memory cap, malformed
    "set-nan": (run("--set", "combat.intensity=nan"), ("--set", "combat.intensity", "nan"), None),
    "set-inf": (run("--set", "combat.intensity=inf"), ("--set", "combat.intensity", "inf"), None),
    "set-1e400": (run("--set", "combat.intensity=1e400"), ("--set", "combat.intensity", "inf OR 1e400"), None),
    "set-share-1.5": (run("--set", "combat.captured_share=1.5"), ("--set", "combat.captured_share", "1.5"), None),
    "set-k-nan": (run("--set", "opposition.k=nan"), ("--set", "opposition.k", "nan"), None),
    "set-bonus-1e400": (run("--set", "pay.federal_bonus=1e400"), ("--set", "pay.federal_bonus", "inf OR 1e400"), None),
    "set-severity-inf": (run("--set", "discipline.severity_execution=inf"),
                         ("--set", "discipline.severity_execution", "inf"), None),
    "set-age-negative": (run("--set", "recruitment.conscription.upper_age=-5"),
                         ("--set", "recruitment.conscription.upper_age", "-5"), None),
    "set-count-negative": (run("--set", "army.initial_contract=-1"), ("--set", "army.initial_contract", "-1"), None),
    "set-quota-1e12": (run("--set", "recruitment.coercion.weekly_quota=1e12"),
                       ("--set", "recruitment.coercion.weekly_quota", "1e12 OR 1e+12 OR 1000000000000"), None),
    "set-hazard-50": (run("--set", "emigration.base_weekly_hazard=50"),
                      ("--set", "emigration.base_weekly_hazard", "50"), None),
    "set-minus-inf": (run("--set", "opinion.reversal_drop=-inf"), ("--set", "opinion.reversal_drop", "-inf"), None),
    "set-unknown-path": (run("--set", "unknown.path=1"), ("--set", "unknown.path"), None),
    "set-no-equals": (run("--set", "combat.intensity"), ("--set", "combat.intensity", "PATH=VALUE"), None),
    "set-string-for-number": (run("--set", "combat.intensity=abc"), ("--set", "combat.intensity", "abc"), None),
    # --event and --drop-event
    "event-nan": (run("--event", "2022-03-10:combat.intensity=nan"), ("--event", "combat.intensity", "nan"), None),
    "event-hazard-50": (run("--event", "2022-03-10:emigration.base_weekly_hazard=50"),
                        ("--event", "emigration.base_weekly_hazard", "50"), None),
    "event-before-start": (run("--event", "2021-01-01:combat.intensity=0.05"), ("--event", "2021-01-01"), None),
    "event-bad-date": (run("--event", "2022-13-45:combat.intensity=0.05"), ("--event", "2022-13-45"), None),
    "event-unknown-target": (run("--event", "2022-03-10:combat.intensty=0.05"),
                             ("--event", "combat.intensty", "did you mean 'combat.intensity'"), None),
    "event-no-colon": (run("--event", "combat.intensity=0.05"), ("--event", "DATE:PATH=VALUE"), None),
    "event-string-value": (run("--event", "2022-03-10:combat.intensity=abc"), ("--event", "combat.intensity", "abc"),
                           None),
    "drop-event-unknown": (run("--drop-event", "no-such-event"), ("--drop-event", "no-such-event", "pay-2024"), None),
    # run flags
    "scale-zero": (["run", "russia-2022", "--scale", "0", "--end", "2022-03-31", "--out", "{out}"],
                   ("--scale", "0", "between 1 and 10000"), None),
    "scale-nan": (["run", "russia-2022", "--scale", "nan", "--end", "2022-03-31", "--out", "{out}"],
                  ("--scale", "nan"), None),
    "scale-inf": (["run", "russia-2022", "--scale", "inf", "--end", "2022-03-31", "--out", "{out}"],
                  ("--scale", "inf"), None),
    "scale-not-a-number": (["run", "russia-2022", "--scale", "abc", "--end", "2022-03-31", "--out", "{out}"],
                           ("--scale", "abc"), None),
    "end-beyond-30-years": (["run", "russia-2022", "--end", "2060-01-01", "--scale", "500", "--out", "{out}"],
                            ("--end OR end", "2060-01-01", "30 years"), None),
    "end-before-start": (["run", "russia-2022", "--end", "2021-01-01", "--scale", "500", "--out", "{out}"],
                         ("end", "2021-01-01", "start"), None),
    "end-not-a-date": (["run", "russia-2022", "--end", "2022-13-45", "--scale", "500", "--out", "{out}"],
                       ("--end", "2022-13-45", "YYYY-MM-DD"), None),
    "seed-negative": (run("--seed", "-1"), ("seed", "-1"), None),
    "out-is-a-file": ([*RUN, "--end", "2022-03-31", "--scale", "500", "--out", "{tmp}/a-file"],
                      ("--out", "a-file", "is a file"), "file"),
    "out-under-a-file": ([*RUN, "--end", "2022-03-31", "--scale", "500", "--out", "{tmp}/a-file/sub"],
                         ("--out", "a-file"), "file"),
    "out-not-empty": ([*RUN, "--end", "2022-03-31", "--scale", "500", "--out", "{out}"],
                      ("--out", "--force"), "full-out"),
    "missing-scenario": (["run", "nowhere.toml", *RUN_TAIL], ("nowhere.toml", "no such scenario"), None),
    # show
    "show-set-nan": (["show", "russia-2022", "--set", "combat.intensity=nan"], ("--set", "combat.intensity", "nan"),
                     None),
    "show-missing-scenario": (["show", "no-such-scenario"], ("no-such-scenario", "no such scenario"), None),
    "show-set-unknown": (["show", "russia-2022", "--events", "--set", "combat.intensty=1"],
                         ("--set", "combat.intensty", "did you mean"), None),
    # report
    "report-not-a-run": (["report", "{tmp}/notrun"], ("notrun", "manifest.json"), "stuff"),
    "report-missing-folder": (["report", "{tmp}/nowhere"], ("nowhere", "manifest.json"), None),
    "report-bad-manifest": (["report", "{tmp}/badrun"], ("badrun", "manifest.json"), "bad-manifest"),
    "report-corrupt-parquet": (["report", "{tmp}/badrun"], ("badrun", "parquet"), "corrupt-parquet"),
    # experiments
    "ensemble-outcome-after-end": (experiment("ensemble", "russia-2022", "--outcome", "killed@2040-01-01"),
                                   ("outcome '", "2040-01-01"), None),
    "ensemble-outcome-before-start": (experiment("ensemble", "russia-2022", "--outcome", "killed@2020-01-01"),
                                      ("outcome '", "2020-01-01"), None),
    "ensemble-outcome-unknown-series": (experiment("ensemble", "russia-2022", "--outcome", "kiled@2022-03-01"),
                                        ("kiled", "did you mean"), None),
    "ensemble-set-nan": (experiment("ensemble", "russia-2022", "--set", "combat.intensity=nan"),
                         ("--set", "combat.intensity", "nan"), None),
    "ensemble-scheduler-unknown": (["ensemble", "russia-2022", "--runs", "2", "--scheduler", "bogus", "--scale", "500",
                                    "--end", "2022-03-31", "--out", "{out}"], ("--scheduler", "bogus"), None),
    "ensemble-workers-zero": (["ensemble", "russia-2022", "--runs", "2", "--scheduler", "processes", "--workers", "0",
                               "--scale", "500", "--end", "2022-03-31", "--out", "{out}"], ("--workers", "0"), None),
    "ensemble-scale-zero": (["ensemble", "russia-2022", "--runs", "2", "--scheduler", "inprocess", "--scale", "0",
                             "--end", "2022-03-31", "--out", "{out}"], ("--scale", "0"), None),
    "ensemble-out-is-a-file": (["ensemble", "russia-2022", "--runs", "2", "--scheduler", "inprocess", "--scale", "500",
                                "--end", "2022-03-31", "--out", "{tmp}/a-file"], ("--out", "a-file"), "file"),
    "compare-missing-b": (experiment("compare", "russia-2022", "no-such-scenario"),
                          ("no-such-scenario", "no such scenario"), None),
    "compare-outcome-year-outside": (experiment("compare", "russia-2022", "russia-2022-no-exit-ban", "--outcome",
                                                "sum(emigrants, 1999)"), ("outcome '", "1999"), None),
    "compare-b-event-bad-date": (experiment("compare", "russia-2022", "russia-2022", "--b-event",
                                            "2026-13-01:policy.exit_ban=false"), ("--b-event", "2026-13-01"), None),
    "compare-b-event-unknown-path": (experiment("compare", "russia-2022", "russia-2022", "--b-event",
                                                "2026-01-01:policy.exit_bam=false"), ("policy.exit_bam",), None),
    "compare-a-set-bad-value": (experiment("compare", "russia-2022", "russia-2022", "--a-set", "combat.intensity=-1"),
                                ("combat.intensity", "-1"), None),
    "compare-b-drop-unknown-event": (experiment("compare", "russia-2022", "russia-2022", "--b-drop-event", "no-id"),
                                     ("--b-drop-event", "no-id"), None),
    "compare-same-arms": (experiment("compare", "russia-2022", "russia-2022"), ("same scenario",), None),
    "sweep-param-low-above-high": (study("sweep", "russia-2022", "--param", "combat.intensity=0.06:0.04"),
                                   ("--param", "combat.intensity", "0.06", "0.04"), None),
    "sweep-param-nan": (study("sweep", "russia-2022", "--param", "combat.intensity=nan:0.05"),
                        ("--param", "combat.intensity", "nan"), None),
    "sweep-param-beyond-bounds": (study("sweep", "russia-2022", "--param", "combat.captured_share=0.5:1.5"),
                                  ("--param", "combat.captured_share", "1.5"), None),
    "sweep-param-unknown": (study("sweep", "russia-2022", "--param", "combat.intensty=0.04:0.05"),
                            ("--param", "combat.intensty", "did you mean"), None),
    "sweep-param-malformed": (study("sweep", "russia-2022", "--param", "combat.intensity=abc"),
                              ("--param", "combat.intensity=abc"), None),
    "sweep-design-unknown": (study("sweep", "russia-2022", "--param", "combat.intensity=0.04:0.05", "--design",
                                        "bogus"), ("--design", "bogus"), None),
    "sensitivity-method-unknown": (study("sensitivity", "russia-2022", "--method", "bogus", "--samples", "2"),
                                   ("--method", "bogus"), None),
    "sensitivity-param-unknown": (study("sensitivity", "russia-2022", "--param", "nosuch.param", "--samples",
                                             "2"), ("--param", "nosuch.param"), None),
    "validate-unknown-pattern": (["validate", "--only", "F99", "--runs", "2", "--scale", "500", "--end", "2022-03-31",
                                  "--scheduler", "inprocess", "--out", "{out}"], ("--only", "F99"), None),
    "validate-scale-zero": (["validate", "--only", "F3", "--runs", "2", "--scale", "0", "--end", "2022-03-31",
                             "--scheduler", "inprocess", "--out", "{out}"], ("--scale", "0"), None),
    "validate-scheduler-unknown": (["validate", "--only", "F3", "--runs", "2", "--scale", "500", "--end",
                                    "2022-03-31", "--scheduler", "bogus", "--out", "{out}"],
                                   ("--scheduler", "bogus"), None),
    # classic
    "classic-out-not-empty": (["classic", "civil-violence", "--steps", "5", "--out", "{out}"], ("--out", "--force"),
                              "full-out"),
}


@pytest.mark.parametrize("case", list(CLI_CASES), ids=list(CLI_CASES))
def test_bad_command_line(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    args, fragments, setup = CLI_CASES[case]
    if setup:
        SETUPS[setup](tmp_path)
    before = snapshot(tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)).replace("{out}", str(tmp_path / "out")) for a in args]
    result = RUNNER.invoke(app, args)
    if setup == "full-out":  # the folder was there before: it must be left as it was
        assert snapshot(tmp_path) == before, (f"the existing {tmp_path / 'out'} was written in",
                                              result.exit_code, result.output[-2000:])
        (tmp_path / "out" / "keep.txt").unlink()
        (tmp_path / "out").rmdir()
        before = snapshot(tmp_path)
    assert_refused(result, list(fragments), before, tmp_path)
