"""A wheel anyone can install: built from the tracked files alone, it carries every file git tracks under
src/morale (scenarios, data, dashboard assets) and, installed into a fresh venv outside the checkout, runs a
scenario and a classic model from there. No network: the build does not isolate itself and the new venv reuses
this suite's installed dependencies through a .pth line. Also: CITATION.cff and CHANGELOG.md follow the version
that pyproject.toml states (the one place it is written)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]


def _tracked() -> list[str]:
    """The files git tracks (and the working tree still has), relative to the checkout."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("not a git checkout: the wheel test copies the files git tracks")
    return [name for name in out.stdout.decode().split("\0") if name and (ROOT / name).is_file()]


UNSET = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__"}


def _clean_env() -> dict[str, str]:
    """This environment without what would point a Python at the checkout or at this suite's venv."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _check(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=_clean_env(), capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(map(str, cmd))} exited {done.returncode}\n"
                                  f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}")
    return done


def _outside_checkout(path: Path) -> Path:
    if path.resolve().is_relative_to(ROOT):
        pytest.skip(f"the temporary folder {path} lies inside the checkout; the test needs one outside it")
    return path


def _build_requirements_met() -> None:
    """The build runs without isolation, so the build backend must already be installed here, new enough."""
    missing = []
    for line in PYPROJECT["build-system"]["requires"]:
        req = Requirement(line)
        try:
            have = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            missing.append(f"{req} (not installed)")
            continue
        if not req.specifier.contains(Version(have), prereleases=True):
            missing.append(f"{req} (installed: {have})")
    assert not missing, (f"the wheel is built without isolation, but this venv lacks {', '.join(missing)}: "
                         f"{sys.executable} -m pip install " + " ".join(f"'{m.split(' (')[0]}'" for m in missing))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `python -m build --wheel --no-isolation` makes from a copy of the tracked files."""
    _build_requirements_met()
    tmp = _outside_checkout(tmp_path_factory.mktemp("wheel"))
    copy = tmp / "checkout"
    for name in _tracked():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    _check([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp / "dist"], copy, 300)
    wheels = list((tmp / "dist").glob("morale-*.whl"))
    assert len(wheels) == 1, f"expected one wheel, found {wheels}"
    return wheels[0]


def test_wheel_holds_every_tracked_file_of_the_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = {name.removeprefix("src/") for name in _tracked() if name.startswith("src/morale/")}
    data = {name for name in tracked if not name.endswith(".py")}
    assert data, "no package data tracked under src/morale?"
    missing = sorted(data - names)
    assert not missing, f"package data missing from the wheel (fix [tool.setuptools.package-data]): {missing}"
    missing = sorted(tracked - data - names)
    assert not missing, f"modules missing from the wheel: {missing}"
    dist_info = f"morale-{VERSION}.dist-info/"
    extra = sorted(name for name in names - tracked if not name.startswith(dist_info))
    assert not extra, f"the wheel holds files git does not track: {extra}"
    meta = zipfile.ZipFile(wheel).read(dist_info + "METADATA").decode()
    assert f"\nVersion: {VERSION}\n" in meta


def test_installed_wheel_runs_outside_the_checkout(wheel, tmp_path_factory):
    tmp = _outside_checkout(tmp_path_factory.mktemp("installed"))
    venv, work = tmp / "venv", tmp / "work"
    work.mkdir()
    _check([sys.executable, "-m", "venv", "--without-pip", venv], tmp, 120)
    python = venv / "bin" / "python"
    # pip (this suite's) installs into the new venv before it can see anything else: the .pth below would show it
    # this suite's site-packages, where the editable install's morale-*.dist-info sits
    _check([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--no-cache-dir",
            "--disable-pip-version-check", "--no-input", wheel], tmp, 300)
    # The dependencies: this suite's site-packages as a plain path line. A path added by a .pth is not a site
    # directory, so the .pth files in it (the editable install's finder, which puts src/ on sys.path) stay inert.
    paths = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    site = Path(_check([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work, 60)
                .stdout.strip())
    (site / "_morale_suite_dependencies.pth").write_text("".join(f"{p}\n" for p in paths), encoding="utf-8")

    probe = ("import json, sys, morale, importlib.metadata as m; site = m.distribution('morale').locate_file(''); "
             "print(json.dumps([morale.__file__, morale.__version__, str(site), sys.path]))")
    where, version, dist, path = json.loads(_check([python, "-c", probe], work, 120).stdout)
    assert Path(where).resolve().is_relative_to(venv.resolve()), f"morale imported from {where}, not the new venv"
    assert Path(dist).resolve().is_relative_to(venv.resolve()), f"morale's metadata read from {dist}"
    inside = [p for p in path if p and Path(p).resolve().is_relative_to(ROOT) and p not in paths]
    assert not inside, f"the checkout is on the new venv's sys.path: {inside}"
    assert version == VERSION
    assert _check([venv / "bin" / "morale", "--version"], work, 60).stdout.strip() == f"morale {VERSION}"

    run = work / "run"
    _check([venv / "bin" / "morale", "run", "russia-2022", "--scale", "400", "--end", "2022-06-30", "--out", run],
           work, 480)
    for name in ("manifest.json", "scenario.toml", "series.parquet", "report.html"):
        assert (run / name).is_file(), f"morale run wrote no {name}"
    assert json.loads((run / "manifest.json").read_text(encoding="utf-8"))["morale_version"] == VERSION

    classic = work / "classic"
    _check([venv / "bin" / "morale", "classic", "civil-violence", "--steps", "20", "--out", classic], work, 300)
    for name in ("series.csv", "plot.png"):
        assert (classic / name).is_file(), f"morale classic civil-violence wrote no {name}"


def test_citation_and_changelog_follow_the_version():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "version"} <= citation.keys()
    assert str(citation["version"]) == VERSION, (f"CITATION.cff says version {citation['version']}, pyproject.toml "
                                                 f"{VERSION}")
    assert citation.get("license") == PYPROJECT["project"]["license"]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{VERSION}]" in changelog, f"CHANGELOG.md has no section for {VERSION}"
