"""Epstein (2002) civil violence, Model I, with the variants of its well-known ports.

Citizens with hardship H and risk aversion R ~ U(0,1) and cops live on a torus. Each period every one of
them is activated once in random order: it moves to a random empty cell within its vision and then acts
(or acts first, as in Mesa). A citizen turns active iff H(1 - L) - R P > T, P = 1 - exp(-k C/A) over the
cops C and actives A (itself included) it sees; a cop jails one random active citizen it sees for a term
drawn uniformly up to J_max. See docs/classic.md for the rules, every variant switch and its effect.

``simulate`` returns the counts per period; ``run`` also keeps pictures of the lattice.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from morale.classic import _kernel, _lattice, _rng
from morale.classic.variants import VARIANTS
from morale.kernels.epstein import RATIO_FLOOR, RATIO_PLAIN, RATIO_ROUND

_RATIOS = {"plain": RATIO_PLAIN, "floor": RATIO_FLOOR, "round": RATIO_ROUND}
_JAILS = {"removed": _kernel.JAIL_REMOVED, "blocking": _kernel.JAIL_BLOCKING, "shared": _kernel.JAIL_SHARED}
_CLOCKS = {"activation": _kernel.CLOCK_ACTIVATION, "tick": _kernel.CLOCK_TICK}
_ORDERS = ("move_act", "act_move")
_PLACEMENTS = ("exact", "bernoulli")
COLUMNS = ("quiescent", "active", "jailed")


@dataclass(frozen=True)
class Config:
    """A complete, checked set of options (see ``variants.PAPER`` for the meaning of each)."""

    width: int
    height: int
    citizen_density: float
    cop_density: float
    vision: float
    cop_vision: float
    legitimacy: object
    """A number, or a callable giving the legitimacy in force during step t = 1, 2, ..."""
    max_jail: float
    threshold: float
    k: float
    movement: bool
    neighbourhood: str
    own_cell_in_view: bool
    ratio: str
    order: str
    jail: str
    jail_clock: str
    max_jail_inclusive: bool
    cop_to_arrestee: bool
    placement: str


def _choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


def configure(variant="paper", **options):
    """The ``Config`` of ``variant`` with ``options`` overriding its defaults; ValueError if inconsistent."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    unknown = set(options) - set(VARIANTS[variant])
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))}")
    values = {**VARIANTS[variant], **options}
    if values["cop_vision"] is None:
        values["cop_vision"] = values["vision"]
    config = Config(**values)
    for name in ("width", "height"):
        if not isinstance(getattr(config, name), int) or getattr(config, name) < 1:
            raise ValueError(f"{name} must be a positive integer, not {getattr(config, name)!r}")
    for name in ("citizen_density", "cop_density"):
        if not 0 <= getattr(config, name) <= 1:
            raise ValueError(f"{name} must lie in [0, 1], not {getattr(config, name)!r}")
    if config.citizen_density + config.cop_density > 1:
        raise ValueError("citizen_density + cop_density must not exceed 1")
    if config.vision < 0 or config.cop_vision < 0:
        raise ValueError("vision and cop_vision must be >= 0")
    if not callable(config.legitimacy) and not 0 <= config.legitimacy <= 1:
        raise ValueError(f"legitimacy must lie in [0, 1], not {config.legitimacy!r}")
    if not (config.max_jail == math.inf or (config.max_jail >= 0 and float(config.max_jail).is_integer())):
        raise ValueError(f"max_jail must be a whole number >= 0 or inf, not {config.max_jail!r}")
    if config.k < 0:
        raise ValueError(f"k must be >= 0, not {config.k!r}")
    _choice("neighbourhood", config.neighbourhood, _lattice.NEIGHBOURHOODS)
    _choice("ratio", config.ratio, tuple(_RATIOS))
    _choice("order", config.order, _ORDERS)
    _choice("jail", config.jail, tuple(_JAILS))
    _choice("jail_clock", config.jail_clock, tuple(_CLOCKS))
    _choice("placement", config.placement, _PLACEMENTS)
    if config.cop_to_arrestee and config.jail == "blocking":
        raise ValueError("cop_to_arrestee needs jail 'removed' or 'shared': a blocking prisoner holds its cell")
    return config


def _rules(config):
    return _kernel.Rules(
        width=config.width,
        height=config.height,
        k=float(config.k),
        threshold=float(config.threshold),
        ratio_mode=_RATIOS[config.ratio],
        max_jail=-1 if config.max_jail == math.inf else int(config.max_jail),
        jail_inclusive=bool(config.max_jail_inclusive),
        jail_mode=_JAILS[config.jail],
        clock=_CLOCKS[config.jail_clock],
        move_first=config.order == "move_act",
        movement=bool(config.movement),
        cop_to_arrestee=bool(config.cop_to_arrestee),
        own_cell=bool(config.own_cell_in_view),
        same_window=config.vision == config.cop_vision,
    )


def _populate(config, setup_seed, run_seed, rules, view):
    """Place cops and quiet citizens (exact counts as in NetLogo, or each cell drawn as in Mesa)."""
    generator = np.random.default_rng(setup_seed)
    n_cells = config.width * config.height
    if config.placement == "exact":
        n_cops = math.floor(config.cop_density * n_cells + 0.5)
        n_citizens = math.floor(config.citizen_density * n_cells + 0.5)
        cells = generator.permutation(n_cells)
        cop_cells, citizen_cells = cells[:n_cops], cells[n_cops : n_cops + n_citizens]
    else:
        draw = generator.random(n_cells)
        citizen_cells = np.flatnonzero(draw < config.citizen_density)
        cop_cells = np.flatnonzero(
            (draw >= config.citizen_density) & (draw < config.citizen_density + config.cop_density)
        )
    n = len(citizen_cells)
    people = np.zeros((n, 5), dtype=np.int64)
    people[:, _kernel.CELL] = citizen_cells
    people[:, _kernel.NEXT] = -1
    fields = np.zeros((5, n_cells), dtype=np.int32)
    fields[_kernel.FIRST] = -1
    fields[_kernel.FIRST, citizen_cells] = np.arange(n)
    fields[_kernel.BLOCKERS, citizen_cells] = 1
    cops = cop_cells.astype(np.int64)
    _kernel.place_cops(fields, cops, view.rows, rules)
    return _kernel.State(
        people=people,
        traits=generator.random((n, 2)),
        fields=fields,
        cops=cops,
        order=np.arange(n + len(cops), dtype=np.int64),
        rng=_rng.seed_state(run_seed),
        tally=np.zeros(2, dtype=np.int64),
    )


def _legitimacy_path(config, steps):
    if callable(config.legitimacy):
        path = np.array([config.legitimacy(t) for t in range(1, steps + 1)], dtype=np.float64)
    else:
        path = np.full(steps, config.legitimacy, dtype=np.float64)
    if steps and not ((path >= 0) & (path <= 1)).all():
        raise ValueError("legitimacy must stay in [0, 1]")
    return path


def prepare(config, seed):
    """The initial state, rules and windows of a run of ``config`` from ``seed``."""
    rules = _rules(config)
    view = _lattice.window(config.neighbourhood, config.vision, config.width, config.height)
    cop_view = _lattice.window(config.neighbourhood, config.cop_vision, config.width, config.height)
    setup_seed, run_seed = np.random.SeedSequence(seed).spawn(2)
    return _populate(config, setup_seed, run_seed, rules, view), rules, view, cop_view


@dataclass(frozen=True)
class Run:
    """Counts per period and, if recorded, pictures (0 empty, 1 quiet, 2 active, 3 jailed, 4 cop)."""

    series: pd.DataFrame
    lattice: np.ndarray | None
    config: Config


def run(steps, seed, variant="paper", record_lattice=False, **options):
    """Simulate ``steps`` periods from ``seed``; same seed and options give the same result."""
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, not {steps!r}")
    config = configure(variant, **options)
    legitimacy = _legitimacy_path(config, steps)
    state, rules, view, cop_view = prepare(config, seed)
    n_cells = config.width * config.height
    counts = np.zeros((steps + 1, 3), dtype=np.int64)
    pictures = np.zeros((steps + 1 if record_lattice else 0, n_cells), dtype=np.int8)
    _kernel.run(state, rules, view, cop_view, legitimacy, counts, pictures)
    series = pd.DataFrame(counts, columns=list(COLUMNS)).rename_axis("step")
    lattice = pictures.reshape(-1, config.height, config.width) if record_lattice else None
    return Run(series, lattice, config)


def count_outbursts(actives, size=50):
    """Spells with more than ``size`` actives: the paper's definition of an outburst (Fig. 5, size 50)."""
    above = np.asarray(actives) > size
    return int(above[0]) + int((above[1:] & ~above[:-1]).sum())


def simulate(steps, seed, variant="paper", **options):
    """One row per period (row 0 the initial state) with columns quiescent, active, jailed.

    ``variant`` ('paper', 'mesa' or 'netlogo') sets every default; options override them: width, height,
    citizen_density, cop_density, vision, cop_vision (defaults to vision), legitimacy (a number or a
    callable of the step), max_jail (math.inf for life), threshold, k, movement, and the switches
    neighbourhood, own_cell_in_view, ratio, order, jail, jail_clock, max_jail_inclusive, cop_to_arrestee,
    placement.
    """
    return run(steps, seed, variant, **options).series
