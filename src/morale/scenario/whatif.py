"""What-if changes a run carries: parameters pinned by `--set`, events added by `--event`, events dropped.

(Being written in this session: `describe_changes` is the stable interface the reports use.)
"""

from __future__ import annotations

from morale.scenario.schema import Scenario


def describe_changes(scenario: Scenario) -> list[str]:
    """One line per what-if change the scenario carries (pins, added and dropped events); [] if none."""
    return []
