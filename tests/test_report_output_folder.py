"""`check_output_folder`: a run folder that cannot be written fails before any simulation, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from morale.results.run import OutputExistsError, check_output_folder, prepare_folder


def _unwritable(tmp_path: Path) -> Path:
    """A folder this process cannot create files in (permission bits; for root, a read-only /sys)."""
    for folder in (tmp_path / "locked", Path("/sys")):
        if folder.parent == tmp_path:
            folder.mkdir()
            folder.chmod(0o500)
        try:
            (folder / "probe").touch()
        except OSError:
            return folder
        (folder / "probe").unlink()
    pytest.skip("no folder here that this user cannot write in")


def _fails(folder: Path, force: bool, *parts: str) -> None:
    with pytest.raises(OutputExistsError) as err:
        check_output_folder(folder, force)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"--out {folder}: ") and "expected" in message, message
    for part in parts:
        assert part in message, message


def test_output_folder_rules(tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    _fails(a_file, False, "is a file")
    _fails(a_file, True, "is a file")
    _fails(a_file / "run", True, f"{a_file} is a file")
    _fails(a_file / "deeper" / "run", False, f"{a_file} is a file")
    locked = _unwritable(tmp_path)
    _fails(locked / "run", True, "cannot write there")
    full = tmp_path / "full"
    full.mkdir()
    (full / "series.parquet").write_text("x")
    _fails(full, False, "exists and is not empty", "--force")
    check_output_folder(full, True)
    for fine in (tmp_path / "new" / "run", tmp_path / "empty"):
        check_output_folder(fine, False)
    assert not (tmp_path / "new").exists() and not (tmp_path / "empty").exists()
    assert not list(locked.glob(".morale-write-check-*"))


def test_prepare_folder_checks_then_creates(tmp_path):
    prepare_folder(tmp_path / "a" / "b", False)
    assert (tmp_path / "a" / "b").is_dir()
    (tmp_path / "a" / "b" / "x").write_text("x")
    with pytest.raises(OutputExistsError, match="exists and is not empty"):
        prepare_folder(tmp_path / "a" / "b", False)
    prepare_folder(tmp_path / "a" / "b", True)
    with pytest.raises(OutputExistsError, match="is a file"):
        prepare_folder(tmp_path / "a" / "b" / "x" / "c", True)
