"""Random numbers that do not depend on the order or the thread that asks for them.

Each process gets its own 64-bit key, spawned from one `numpy.random.SeedSequence`. A draw is a hash of
(key, week, stream, counter) — a counter-based generator in the manner of Random123 (Salmon et al. 2011),
built from the SplitMix64 finaliser (Steele et al. 2014). Because no generator state is carried between
draws, a kernel gives bit-identical results however many threads run it and however its loop is split.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64

PROCESSES = (
    "initial", "economy", "recruitment", "training", "deployment", "combat", "service", "morale", "discipline",
    "information", "opinion", "opposition", "emigration", "attributes",
)

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)


@njit(inline="always", cache=True)
def _mix(z):
    z = (z ^ (z >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return z ^ (z >> uint64(31))


@njit(inline="always", cache=True)
def uniform(key, week, stream, counter):
    """A U(0,1) draw (never exactly 0) for one (key, week, stream, counter)."""
    z = _mix(uint64(key) ^ (uint64(week) * _GOLDEN))
    z = _mix(z ^ (uint64(stream) * _M1 + uint64(counter)))
    return ((z >> uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(inline="always", cache=True)
def geometric_gap(u, log_q):
    """Failures before the next success in Bernoulli trials with log(1 - p) = log_q (p > 0)."""
    return int(math.floor(math.log(u) / log_q))


def process_keys(seed: int | np.random.SeedSequence) -> dict[str, np.uint64]:
    """One key per process, spawned from the run's SeedSequence (stable under new processes appended)."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = root.spawn(len(PROCESSES))
    return {name: np.uint64(child.generate_state(1, np.uint64)[0]) for name, child in zip(PROCESSES, children)}


def run_seed(seed: int, replicate: int | None = None) -> np.random.SeedSequence:
    """Run i of an experiment seeded S uses SeedSequence(S, spawn_key=(i,)); a lone run uses SeedSequence(S)."""
    if replicate is None:
        return np.random.SeedSequence(seed)
    return np.random.SeedSequence(seed, spawn_key=(replicate,))
