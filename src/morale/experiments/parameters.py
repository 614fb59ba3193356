"""Uncertain parameters: which ones have a range, and how a point of the unit cube maps onto them.

Every draw goes through `from_unit`, the inverse of the parameter's distribution over its range: uniform;
triangular with its mode at the parameter's value; normal with mean = value and sd = (hi - lo) / 4,
truncated to the range. Ensembles draw the unit point from a run's own stream
(`SeedSequence(S, spawn_key=(i, DRAWS_KEY))`, apart from the run's process keys, which are (i, 0..k));
sweeps, sensitivity and robust validation map Latin-hypercube or SALib samples through the same function.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from morale.scenario import metadata
from morale.scenario.loader import RangeWarning
from morale.scenario.schema import Param, Scenario, parameters

# far above the number of per-process keys a run spawns (spawn_key (i, 0..len(PROCESSES)-1))
DRAWS_KEY = 1_000_003
DESIGN_TAG = 0x5EED


class ParameterError(ValueError):
    """A parameter that cannot be drawn or swept, said in one line."""


@dataclass(frozen=True)
class Uncertain:
    """A parameter's name, value, range and distribution (picklable, independent of pydantic)."""

    name: str
    value: float
    low: float
    high: float
    dist: str = "uniform"

    def from_unit(self, u: np.ndarray | float) -> np.ndarray | float:
        return from_unit(self, u)


def from_unit(p: Uncertain, u):
    u = np.asarray(u, dtype=np.float64)
    lo, hi = p.low, p.high
    if hi <= lo:
        return np.full_like(u, lo) if u.ndim else float(lo)
    if p.dist == "triangular":
        c = (p.value - lo) / (hi - lo)
        out = stats.triang.ppf(u, c, loc=lo, scale=hi - lo)
    elif p.dist == "normal":
        sd = (hi - lo) / 4.0
        out = stats.truncnorm.ppf(u, (lo - p.value) / sd, (hi - p.value) / sd, loc=p.value, scale=sd)
    else:
        out = lo + u * (hi - lo)
    out = np.clip(out, lo, hi)
    return out if out.ndim else float(out)


def to_unit(params: list[Uncertain], values: dict[str, float] | np.ndarray) -> np.ndarray:
    """Parameter values -> unit-cube coordinates (the inverse of `from_unit`): a dict gives one row (1, d), an
    array (m, d) gives (m, d)."""
    if isinstance(values, dict):
        x = np.array([[float(values[p.name]) for p in params]])
    else:
        x = np.atleast_2d(np.asarray(values, dtype=np.float64))
    out = np.empty_like(x)
    for j, p in enumerate(params):
        lo, hi = p.low, p.high
        if hi <= lo:
            out[:, j] = 0.5
        elif p.dist == "triangular":
            out[:, j] = stats.triang.cdf(x[:, j], (p.value - lo) / (hi - lo), loc=lo, scale=hi - lo)
        elif p.dist == "normal":
            sd = (hi - lo) / 4.0
            out[:, j] = stats.truncnorm.cdf(x[:, j], (lo - p.value) / sd, (hi - p.value) / sd, loc=p.value, scale=sd)
        else:
            out[:, j] = (x[:, j] - lo) / (hi - lo)
    return np.clip(out, 0.0, 1.0)


def ranged_parameters(scenario: Scenario) -> dict[str, Uncertain]:
    """Every parameter with a range of positive width, by dotted path, in schema order (none that --set pins)."""
    return {path: Uncertain(path, p.value, p.range[0], p.range[1], p.dist)
            for path, p in parameters(scenario).items()
            if p.range is not None and p.range[1] > p.range[0] and path not in scenario.pinned}


def all_parameters(scenario: Scenario) -> dict[str, Param]:
    """Every numeric parameter by dotted path (see `morale.scenario.schema.parameters`)."""
    return parameters(scenario)


def named_parameter(scenario: Scenario, name: str, low: float | None = None, high: float | None = None) -> Uncertain:
    """A parameter to sweep: its own range unless one is given. A given range must lie within the legal bounds
    (refused otherwise); beyond the uncertainty range it runs, with a `RangeWarning` (never silently)."""
    params = all_parameters(scenario)
    if name not in params:
        hint = difflib.get_close_matches(name, list(params), n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        raise ParameterError(f"--param {name}: no numeric parameter of that name in {scenario.name}; expected "
                             f"the dotted path of a number (see `morale show --grep`){suggestion}")
    if name in scenario.pinned:
        raise ParameterError(f"--param {name}: pinned by --set for every run; expected either --set or --param "
                             f"for one parameter")
    p = params[name]
    if low is None or high is None:
        if p.range is None or p.range[1] <= p.range[0]:
            raise ParameterError(f"--param {name}: has no range in {scenario.name}; expected one given as "
                                 f"{name}=LOW:HIGH")
        low, high = p.range
    for end in (low, high):
        problem = metadata.violation(name, end)
        if problem:
            raise ParameterError(f"--param {name}: {problem}")
    if high < low:
        raise ParameterError(f"--param {name}={low}:{high}: got LOW above HIGH; expected LOW <= HIGH")
    if p.range is not None and (low < p.range[0] or high > p.range[1]):
        warnings.warn(RangeWarning(f"--param {name}={low:g}:{high:g}: beyond its uncertainty range "
                                   f"{p.range[0]:g}..{p.range[1]:g}; the runs outside it are what-ifs, not "
                                   f"uncertainty"), stacklevel=2)
    dist = p.dist if p.range is not None and (low, high) == tuple(p.range) else "uniform"
    value = min(max(p.value, low), high)
    return Uncertain(name, value, float(low), float(high), dist)


def parse_param(text: str) -> tuple[str, float | None, float | None, list[float] | None]:
    """`name`, `name=LOW:HIGH` or `name=a,b,c` (explicit grid levels)."""
    if "=" not in text:
        return text.strip(), None, None, None
    name, spec = (t.strip() for t in text.split("=", 1))
    try:
        if ":" in spec:
            lo, hi = spec.split(":", 1)
            return name, float(lo), float(hi), None
        levels = [float(v) for v in spec.split(",") if v.strip()]
    except ValueError:
        raise ParameterError(f"--param {text!r}: expected NAME, NAME=LOW:HIGH or NAME=V1,V2,...") from None
    if not levels:
        raise ParameterError(f"--param {text!r}: got no values; expected NAME, NAME=LOW:HIGH or NAME=V1,V2,...")
    return name, min(levels), max(levels), levels


def draw_run(params: list[Uncertain], seed: int, replicate: int) -> dict[str, float]:
    """Run i's own draw of every parameter (reproducible from (seed, i) alone)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replicate, DRAWS_KEY)))
    u = rng.random(len(params))
    return {p.name: float(from_unit(p, ui)) for p, ui in zip(params, u)}


def unit_latin_hypercube(d: int, n: int, seed: int) -> np.ndarray:
    """n points (n, d) of a Latin hypercube on the unit cube, seeded from (seed, DESIGN_TAG)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, DESIGN_TAG]))
    return stats.qmc.LatinHypercube(d=d, seed=rng).random(n)


def latin_hypercube(params: list[Uncertain], n: int, seed: int) -> list[dict[str, float]]:
    """n points of a Latin hypercube over the parameters, mapped through their distributions."""
    unit = unit_latin_hypercube(len(params), n, seed)
    return [{p.name: float(from_unit(p, row[j])) for j, p in enumerate(params)} for row in unit]


def grid(params: list[Uncertain], levels: int | dict[str, list[float]]) -> list[dict[str, float]]:
    """A full factorial: `levels` evenly spaced values per parameter, or explicit values per parameter."""
    axes = []
    for p in params:
        explicit = levels.get(p.name) if isinstance(levels, dict) else None
        if explicit:
            axes.append([float(v) for v in explicit])
        else:
            k = levels if isinstance(levels, int) else 3
            axes.append([float(v) for v in np.linspace(p.low, p.high, k)])
    mesh = np.meshgrid(*axes, indexing="ij")
    flat = [m.reshape(-1) for m in mesh]
    return [{p.name: float(flat[j][i]) for j, p in enumerate(params)} for i in range(flat[0].size)]
