"""Reproducible installs: requirements.lock pins what pyproject.toml asks for, and the venv has those pins."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line.strip())
        assert m, f"requirements.lock: not a name==version pin: {line!r}"
        name = canonicalize_name(m.group(1))
        assert name not in pins, f"requirements.lock: {name} pinned twice"
        pins[name] = m.group(2)
    return pins


def _requirements() -> list[Requirement]:
    """The package's and the dev extra's requirements, with the extras dev takes from the package itself
    (`morale[docs]`) expanded into theirs."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    reqs = []
    for line in project["dependencies"] + extras["dev"]:
        req = Requirement(line)
        if canonicalize_name(req.name) == canonicalize_name(project["name"]):
            reqs += [Requirement(r) for extra in req.extras for r in extras[extra]]
        else:
            reqs.append(req)
    return reqs


def test_lock_pins_every_requirement_within_its_range():
    pins = _pins()
    for req in _requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is not in requirements.lock (run `make lock`)"
        assert req.specifier.contains(Version(pins[name]), prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject.toml's {req}")
        for extra in req.extras:  # e.g. dask[distributed]: the extra's packages are locked too
            for dep in metadata.requires(req.name) or []:
                dep = Requirement(dep)
                if dep.marker and dep.marker.evaluate({"extra": extra}) and not dep.marker.evaluate({"extra": ""}):
                    assert canonicalize_name(dep.name) in pins, f"{dep.name} (from {req}) not locked"


def test_installed_versions_are_the_locked_ones():
    """The venv `make` builds installs with `-c requirements.lock`; a mismatch means a stale venv or lock."""
    pins = _pins()
    for req in _requirements():
        name = canonicalize_name(req.name)
        assert metadata.version(req.name) == pins[name], (
            f"{name} {metadata.version(req.name)} installed, {pins[name]} locked: `make` reinstalls")


def test_makefile_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(STAMP\):.*\$\(LOCK\)", makefile, re.M), "the install stamp must depend on the lock"
    assert "LOCK := requirements.lock" in makefile
    assert "-c $(LOCK) -e '.[dev]'" in makefile
    assert re.search(r"^lock:", makefile, re.M)
