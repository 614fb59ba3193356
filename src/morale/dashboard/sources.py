"""Where the page's scenario comes from: a built-in name, or an uploaded TOML file read only by the loader.

An upload is written, under its own (cleaned) name, into a folder named by its content's hash, and loaded from
there like any scenario file, so it passes the same schema and gives the same one-line errors, which name the
file as the user knows it. The worker process runs it from the same path.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from morale.scenario.loader import ScenarioError, load_scenario
from morale.scenario.schema import Scenario

MAX_UPLOAD_BYTES = 256 * 1024


def saved_upload(name: str, data: bytes) -> Path:
    """The uploaded file's path on disk (raises `ScenarioError` in one line if it is too large)."""
    clean = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name) or "scenario.toml"
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioError(f"{clean}: got {len(data) / 1024:,.0f} KB; expected a scenario file of at most "
                            f"{MAX_UPLOAD_BYTES // 1024} KB")
    folder = Path(tempfile.gettempdir()) / "morale-dashboard" / hashlib.sha256(data).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / clean
    if not path.exists():
        path.write_bytes(data)
    return path


def load(spec: str) -> Scenario:
    """A built-in name or a saved upload's path, through the loader; an error names the file, not the folder."""
    try:
        return load_scenario(spec)
    except ScenarioError as err:
        raise ScenarioError(shown(str(err), spec)) from None


def shown(message: str, spec: str) -> str:
    """`message` with a saved upload's folder left out (the user knows the file by its name)."""
    folder = str(Path(spec).parent)
    return message.replace(folder + os.sep, "") if folder != "." else message
