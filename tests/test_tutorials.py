"""The tutorials run, and their committed notebooks are their executed sources.

`docs/tutorials/NN-name.py` (jupytext "percent" scripts) are the source of truth; `NN-name.ipynb` beside each
is the same notebook executed at a finer scale (its first cell says how), committed with its outputs for the
documentation site. Two checks:

- each script, converted in memory and executed with nbclient in a kernel of this interpreter at coarse
  settings (the MORALE_TUTORIAL_* variables its first code cell reads), runs without error; a cell appended
  to it reports key facts from the kernel's variables (the comparison's columns, people conserved, runs
  counted, the scenario's error message), which are asserted here;
- each committed notebook has the cells of its script, in order, with their outputs, and stays small.

To re-make a committed notebook, run the command in its first cell (`jupytext --to ipynb --execute ...`).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

TUTORIALS = Path(__file__).resolve().parents[1] / "docs" / "tutorials"
NAMES = ("01-first-what-if", "02-step-the-model", "03-how-sure", "04-build-a-scenario")
MAX_NOTEBOOK_BYTES = 300_000

# Coarse settings: each notebook in seconds (all four in well under a minute of simulation on 2 cores).
COARSE = {
    "01-first-what-if": {"SCALE": "2000", "RUNS": "3", "END": "2025-06-30"},
    "02-step-the-model": {"SCALE": "2000", "END": "2023-03-31"},
    "03-how-sure": {"SCALE": "2000", "RUNS": "4", "SAMPLES": "2", "END": "2024-12-31"},
    "04-build-a-scenario": {"SCALE": "50", "RUNS": "2"},
}

# Appended to each notebook: facts read from the kernel's variables, printed as one JSON line.
FACTS = {
    "01-first-what-if": """
facts = {"effects_columns": list(comparison.effects.columns),
         "effects_outcomes": list(comparison.effects["outcome"]),
         "replicates": [int(r) for r in comparison.effects["replicates"]],
         "runs_per_arm": [len(comparison.a.runs), len(comparison.b.runs)],
         "pin_warnings": [str(w.message) for w in caught],
         "saved": sorted(p.name for p in folder.iterdir()),
         "weeks": len(base.series)}
""",
    "02-step-the-model": """
facts = {"done": sim.done, "weeks": len(sim.series), "collected": len(weekly),
         "status_breach": float(statuses.abs().max()), "location_breach": float(soldiers.abs().max()),
         "persons": float(sim.persons_by_status().sum()),
         "persons_created": float(sim.series["persons_created"].iloc[-1]),
         "front_from_arrays": float(weekly.iloc[-1][list(C.STREAM_NAMES)].sum()),
         "front_recorded": float(sim.series["soldiers_front"].iloc[-1])}
""",
    "03-how-sure": """
drawn = set(calibrated.runs["combat.intensity"])
facts = {"runs": [len(calibrated.runs), len(noise_only.runs)],
         "finished": [int((e.runs["status"] == "ok").sum()) for e in (calibrated, noise_only)],
         "calibrated_rows": calibrated.spec["calibrated"]["rows"],
         "drawn_from_sample": drawn <= set(sample["combat.intensity"]),
         "noise_only_drew": "combat.intensity" in noise_only.runs.columns,
         "spread_columns": [list(c) for c in table.columns],
         "morris_runs": len(morris.table), "morris_parameters": sorted(set(morris.indices["parameter"])),
         "dummy_mu_star": float(morris.indices.loc[morris.indices["parameter"] == "dummy", "mu_star"].abs().max())}
""",
    "04-build-a-scenario": """
facts = {"name": scenario.name, "regions": [r.code for r in scenario.population.regions],
         "violations": violations, "keener": transfer_violations(keener, russia), "message": message,
         "emigration_enabled": scenario.emigration.enabled,
         "first_week_emigrant_share": float(first.series["emigrants"].iloc[0] / men),
         "killed": float(by_stream.sum()), "fit_rows": len(fit), "out": str(OUT)}
""",
}
REPORT = """
import json as _json, sys as _sys
facts["executable"] = _sys.executable
print("FACTS " + _json.dumps(facts, default=str))
"""


@pytest.fixture(scope="module")
def kernel_environment(tmp_path_factory):
    """A python3 kernelspec of this interpreter, first on JUPYTER_PATH, so that the kernel is the .venv's
    Python whatever other kernelspecs the machine has; and a short temporary folder for the notebooks'
    outputs (and the process pool's sockets, whose paths must stay short)."""
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("kernel")
    install(prefix=str(prefix), kernel_name="python3")
    scratch = Path(tempfile.mkdtemp(prefix="mtut-"))
    yield {"JUPYTER_PATH": str(prefix / "share" / "jupyter"), "TMPDIR": str(scratch)}
    shutil.rmtree(scratch, ignore_errors=True)


def execute(name: str, env: dict[str, str], monkeypatch, workdir: Path) -> tuple[nbformat.NotebookNode, dict]:
    """Run the tutorial's script at its coarse settings with the facts cell appended; return it and the facts."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key, value in COARSE[name].items():
        monkeypatch.setenv(f"MORALE_TUTORIAL_{key}", value)
    nb = jupytext.read(TUTORIALS / f"{name}.py")
    nb.cells.append(nbformat.v4.new_code_cell(FACTS[name] + REPORT))
    NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(workdir)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    line = next(ln for ln in printed.splitlines() if ln.startswith("FACTS "))
    return nb, json.loads(line[len("FACTS "):])


def images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.parametrize("name", NAMES)
def test_tutorial_runs(name, kernel_environment, monkeypatch, tmp_path):
    nb, facts = execute(name, kernel_environment, monkeypatch, tmp_path)
    assert Path(facts["executable"]).resolve() == Path(sys.executable).resolve(), "the kernel is another Python"
    if name == "01-first-what-if":
        runs = int(COARSE[name]["RUNS"])
        assert {"outcome", "mean A", "mean B", "mean B-A", "ci95 low", "ci95 high", "share B>A",
                "replicates"} <= set(facts["effects_columns"])
        assert facts["effects_outcomes"][-1] == "killed" and len(facts["effects_outcomes"]) == 3
        assert facts["replicates"] == [runs] * 3 and facts["runs_per_arm"] == [runs, runs]
        assert len(facts["pin_warnings"]) == 2
        assert all("federal-bonus-202" in w and "dropped" in w for w in facts["pin_warnings"])
        assert {"manifest.json", "report.html", "scenario.toml", "series.parquet"} <= set(facts["saved"])
        assert images(nb) == 1
    elif name == "02-step-the-model":
        assert facts["done"] and facts["weeks"] == facts["collected"] > 52
        assert facts["status_breach"] == 0 and facts["location_breach"] == 0
        assert facts["persons"] == facts["persons_created"] > 0
        assert facts["front_from_arrays"] == facts["front_recorded"] > 0
        assert images(nb) == 1
    elif name == "03-how-sure":
        runs, samples = int(COARSE[name]["RUNS"]), int(COARSE[name]["SAMPLES"])
        assert facts["runs"] == [runs, runs] and facts["finished"] == [runs, runs]
        assert facts["calibrated_rows"] > 1 and facts["drawn_from_sample"] and not facts["noise_only_drew"]
        assert ["calibrated", "width / seed-noise width"] in facts["spread_columns"]
        assert facts["morris_runs"] == samples * (4 + 1 + 1)  # Morris: N (D + 1) points, D = 4 and the dummy
        assert len(facts["morris_parameters"]) == 5 and "dummy" in facts["morris_parameters"]
        assert facts["dummy_mu_star"] == 0  # paired seeds: the parameter nobody reads changes nothing
        assert images(nb) == 1
    else:
        assert facts["name"] == "armenia-2020" and facts["regions"] == ["AM"]
        assert facts["violations"] == []
        assert len(facts["keener"]) == 1 and "opinion.baseline" in facts["keener"][0]
        assert "population.regions[0].unemployment: got 180; expected less than or equal to 100" in facts["message"]
        assert facts["first_week_emigrant_share"] > 0.5 and not facts["emigration_enabled"]
        assert facts["killed"] > 0 and facts["fit_rows"] == 3
        assert Path(facts["out"]).resolve().is_relative_to(Path(kernel_environment["TMPDIR"]).resolve())


def cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_its_script_executed(name):
    path = TUTORIALS / f"{name}.ipynb"
    assert path.stat().st_size < MAX_NOTEBOOK_BYTES, f"{path.name} is {path.stat().st_size:,} bytes"
    committed = nbformat.read(path, as_version=4)
    source = jupytext.read(TUTORIALS / f"{name}.py")
    assert cells(committed) == cells(source), (
        f"{path.name} differs from {name}.py: re-make it with the command in its first cell")
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), f"{path.name} has cells that were never executed"
    assert sum(bool(c.outputs) for c in code) >= len(code) // 2, f"{path.name} has lost its outputs"
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, f"{path.name} was committed with an error output"
    assert "jupytext --to ipynb --execute" in committed.cells[0].source  # says how it was made
