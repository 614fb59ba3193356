"""A stochastic toy simulator with a known truth, for the tests and the docs of history matching.

Three parameters on known ranges, four outputs: smooth nonlinear functions plus Gaussian noise drawn from
the run's own stream, `default_rng(SeedSequence(seed, spawn_key=(replicate,)))`, so a run is reproducible
from (parameters, seed, replicate) and replicates of one point differ by noise only. `fold` ignores `c`
(a parameter a target says nothing about, so the others must pin it). Each call takes microseconds.

    fold  = a^2 + b                    (a, b)
    ratio = a c / (1 + b^2)            (a, b, c)
    swing = sin(2 b) + log(c)          (b, c)
    decay = exp(-a) c - 2 b + 1        (a, b, c)

`toy_observations` gives z at the truth (noise-free by default), each with a stated observation variance
and model-discrepancy share, so a history match of `toy_model()` against them must keep `TRUTH` and rule out
the far corners.
"""

from __future__ import annotations

import math

import numpy as np

from morale.calibration.history_matching import Observation
from morale.experiments.parameters import Uncertain
from morale.experiments.tasks import FunctionModel

OUTPUTS = ("fold", "ratio", "swing", "decay")
RANGES = {"a": (0.0, 2.0), "b": (-1.0, 1.0), "c": (1.0, 4.0)}
TRUTH = {"a": 1.2, "b": 0.3, "c": 2.0}
NOISE_SD = 0.05  # the run-to-run noise of every output (the stochastic variance is NOISE_SD^2)
OBSERVATION_SD = 0.02  # the observations' own sd when they are exact (the noise-free truth)
DISCREPANCY_SHARE = 0.02  # model discrepancy sd as a share of |z| (the toy is the truth: small)
TOY_SEED = 7


def toy_mean(a: float, b: float, c: float) -> dict[str, float]:
    """The noise-free outputs (the mean function the emulators learn)."""
    return {"fold": a * a + b, "ratio": a * c / (1.0 + b * b), "swing": math.sin(2.0 * b) + math.log(c),
            "decay": math.exp(-a) * c - 2.0 * b + 1.0}


def toy(a: float, b: float, c: float, seed: int = 0, replicate: int = 0, noise_sd: float = NOISE_SD) -> dict:
    """One stochastic run: the mean outputs plus independent N(0, noise_sd^2) noise from the run's stream."""
    mean = toy_mean(a, b, c)
    noise = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replicate,))).normal(0.0, noise_sd, 4)
    return {name: mean[name] + float(e) for name, e in zip(OUTPUTS, noise)}


def toy_model() -> tuple[FunctionModel, list[Uncertain]]:
    """The toy as the experiment layer runs it (`seeded`: called with seed= and replicate=), and its three
    parameters, uniform over `RANGES`."""
    params = [Uncertain(name, TRUTH[name], lo, hi) for name, (lo, hi) in RANGES.items()]
    return FunctionModel(toy, OUTPUTS, seeded=True), params


def toy_observations(noise_sd: float = 0.0, seed: int = TOY_SEED, sd: float = OBSERVATION_SD,
                     discrepancy: float | None = DISCREPANCY_SHARE,
                     outputs: tuple[str, ...] = OUTPUTS) -> list[Observation]:
    """One observation per output. z is the noise-free output at `TRUTH`, plus N(0, noise_sd^2) drawn from
    `seed` when noise_sd > 0 (an observation error); its variance is sd^2 + noise_sd^2 (what the observer
    states: a floor `sd` even for exact figures, plus the error actually added)."""
    truth = toy_mean(**TRUTH)
    errors = np.random.default_rng(np.random.SeedSequence([seed, 0x0B5])).normal(0.0, 1.0, len(OUTPUTS))
    out = []
    for name, e in zip(OUTPUTS, errors):
        if name not in outputs:
            continue
        z = truth[name] + (noise_sd * float(e) if noise_sd > 0 else 0.0)
        out.append(Observation(name, z, sd ** 2 + noise_sd ** 2, discrepancy, label=f"toy {name} at the truth"))
    return out
