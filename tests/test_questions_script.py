"""tools/questions.py keeps working: the four questions at a coarse scale, written into a temporary folder.

The committed docs/questions.md comes from the finer run its header states; this only checks that every
question still runs end to end and that the document holds each section with its command and its table."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

TOOL = Path(__file__).parents[1] / "tools" / "questions.py"


def test_the_four_questions_run_end_to_end_at_a_coarse_scale(tmp_path):
    spec = importlib.util.spec_from_file_location("questions", TOOL)
    questions = importlib.util.module_from_spec(spec)
    sys.modules["questions"] = questions  # its dataclass looks its module up
    spec.loader.exec_module(questions)
    path = questions.main(["--scale", "10000", "--samples", "20", "--runs", "2", "--end", "2027-12-31",
                           "--sustain-end", "2027-12-31", "--out", str(tmp_path / "runs"),
                           "--docs", str(tmp_path / "docs"),
                           "--scheduler", "inprocess"])
    text = path.read_text(encoding="utf-8")
    for number in range(1, 5):
        assert f"## {number}. " in text
    for command in ("morale sweep", "morale discover", "morale ensemble russia-2022 --calibrated", "morale survival",
                    "--b-event 2027-01-01:policy.exit_ban=false",
                    "--b-event 2027-01-01:discipline.lethal.refuser_execute_share=0"):
        assert command in text, command
    # the what-ifs always answer: their tables and figures are there
    assert "| sum(emigrant_departures, 2027) |" in text and "| sum(executions, 2027) |" in text
    for name in ("survival.png", "exit-ban-differences.png", "executions-differences.png"):
        assert (tmp_path / "docs" / "img" / "questions" / name).is_file()
    # question 1 is answered with a box, or says plainly why not
    assert "PRIM's box" in text or "**Not answered by these runs:**" in text
