"""Result keys for the dashboard: a result is reused only for the same resolved scenario, run arguments and
package version, so going back and forth costs nothing and a stale result is never shown."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from morale.results.run import package_version, scenario_toml
from morale.scenario.schema import Scenario


def result_key(scenario: Scenario, **arguments: Any) -> str:
    """A hex key of the resolved scenario (overrides, events and horizon included: they are in it), the run
    arguments (seed, scale, runs, ...) and the package version."""
    digest = hashlib.sha256()
    digest.update(scenario_toml(scenario).encode("utf-8"))
    digest.update(json.dumps(arguments, sort_keys=True, default=str).encode("utf-8"))
    digest.update(package_version().encode("utf-8"))
    return digest.hexdigest()[:24]
