"""Gaussian-process emulators of a model's outputs, with the leave-one-out check that decides their use.

A history-matching wave runs the model at a few hundred points and must then judge millions of others; an
emulator stands in for the model there, with its own uncertainty. One emulator per output, on unit-cube
coordinates (n, d) of the parameters:

    kernel = ConstantKernel * RBF(length_scale = ones(d), one per parameter) + WhiteKernel

fitted by scikit-learn's `GaussianProcessRegressor` on the output centred and scaled (`standardise`, as its
`normalize_y` does, but kept here so the emulator never reads the regressor's private state), so one set of
bounds suits every output. The RBF's length scales (bounds 1e-2..1e2 on the
unit cube) say how smooth the output is in each parameter; the WhiteKernel's noise (the nugget, 1e-8..1e1 of
the output's variance) absorbs the run-to-run noise of a stochastic model, since replicates go in as rows.

`Emulator.predict` returns the mean and the variance of the model's MEAN function at new points: scikit-learn's
predictive variance with a WhiteKernel in the kernel is that of a new noisy run, so the nugget comes off (and
the stochastic variance enters the implausibility on its own, estimated from the replicates).

An emulator is trusted only when its leave-one-out standardised errors behave: at least `LOO_SHARE` (95%) of
(y_i - mu_-i) / sigma_-i within +-2 (Bastos & O'Hagan 2009; Andrianakis et al. 2015). The leave-one-out means
and variances come in closed form from one inverse of the fitted covariance (Rasmussen & Williams 2006, eq.
5.12), holding the hyperparameters and the normalisation fixed; the left-out run is a noisy observation, so
its sigma includes the nugget.

The 95% rule sits just under what a perfect emulator achieves: its standardised errors are N(0, 1), 95.45% of
them within +-2, so whether it passes is a binomial draw. With 100 runs (4.55 expected outside) it fails
whenever 6 or more fall outside: 30% of the time (26% with 560 runs). Measured on the toy (`toy.py`, 128
emulators of 100 runs each), the mean share was 0.955, as for a perfect emulator, and 76% passed. A failed
output is left out of its wave's cut, which makes the cut more cautious (never wrong), but weaker.
`threshold` lets a caller choose another share (the rule's default is `LOO_SHARE`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Kernel, WhiteKernel

from morale.calibration.history_matching import LOO_SHARE

LENGTH_BOUNDS = (1e-2, 1e2)  # on the unit cube: from a hundredth of a range to far smoother than linear
NOISE_BOUNDS = (1e-8, 1e1)  # the nugget, as a share of the normalised output's variance
SIGNAL_BOUNDS = (1e-3, 1e3)
RESTARTS = 2
CHUNK = 4096  # rows predicted at once: CHUNK x n floats for the cross-covariance
# Hyperparameters are learned on at most this many runs (seeded subsample), then the GP conditions on every run
# with them held: maximum likelihood costs O(n^3) per step, so 575 runs in 20 dimensions took ~2 minutes per
# output against ~10 s on 200, and 200 points in 20 dimensions pin the length scales well enough.
HYPER_POINTS = 200
MIN_RUNS = 5  # fewer finite runs than this: no emulator (the output is left out of the wave's cut)


def default_kernel(d: int) -> Kernel:
    return (ConstantKernel(1.0, SIGNAL_BOUNDS) * RBF(np.ones(d), LENGTH_BOUNDS)
            + WhiteKernel(1e-2, NOISE_BOUNDS))


@dataclass
class Emulator:
    """One output's emulator. `gp` is None for a constant output (or too few runs): it then predicts
    `constant` with zero variance. `loo_*` are per training row, in output units."""

    output: str
    gp: GaussianProcessRegressor | None
    loo_mean: np.ndarray
    loo_var: np.ndarray
    loo_error: np.ndarray  # standardised: (y_i - loo_mean_i) / sqrt(loo_var_i)
    loo_share_within_2: float
    valid: bool
    y_mean: float = 0.0  # the output's centring and scale before the fit (`standardise`)
    y_scale: float = 1.0
    constant: float | None = None
    note: str = ""
    n: int = 0
    threshold: float = LOO_SHARE
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def nugget(self) -> float:
        """The fitted WhiteKernel noise as a variance in output units (0 without one)."""
        if self.gp is None:
            return 0.0
        return _nugget(self.gp.kernel_) * self.y_scale ** 2

    def predict(self, unit: np.ndarray, chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the mean function at unit-cube points (m, d): the GP's posterior mean, and its
        posterior variance without the nugget (clipped at 0), both in output units."""
        unit = np.atleast_2d(np.asarray(unit, dtype=np.float64))
        m = unit.shape[0]
        if self.gp is None:
            value = np.nan if self.constant is None else self.constant
            return np.full(m, value), np.zeros(m)
        gp = self.gp
        kernel = gp.kernel_
        nugget = _nugget(kernel)
        mean = np.empty(m)
        var = np.empty(m)
        for start in range(0, m, chunk):
            x = unit[start:start + chunk]
            cross = kernel(x, gp.X_train_)  # a WhiteKernel is 0 between distinct sets of points
            mean[start:start + chunk] = cross @ gp.alpha_
            v = solve_triangular(gp.L_, cross.T, lower=True, check_finite=False)
            var[start:start + chunk] = kernel.diag(x) - nugget - np.einsum("ij,ij->j", v, v)
        return mean * self.y_scale + self.y_mean, np.clip(var, 0.0, None) * self.y_scale ** 2

    def diagnostics(self) -> dict[str, Any]:
        """A JSON-able summary: runs, kernel, length scales, nugget (output units), LOO share, validity."""
        out: dict[str, Any] = {"output": self.output, "n": int(self.n), "valid": bool(self.valid),
                               "loo_share_within_2": _finite(self.loo_share_within_2), "loo_threshold": self.threshold}
        if self.gp is None:
            out.update(kernel=None, length_scales=None, nugget=0.0, signal_variance=0.0,
                       constant=_finite(self.constant), note=self.note)
            return out
        kernel = self.gp.kernel_
        out.update(kernel=str(kernel), length_scales=[float(v) for v in np.atleast_1d(_length_scales(kernel))],
                   nugget=float(self.nugget), signal_variance=float(_signal(kernel) * self.y_scale ** 2),
                   y_mean=float(self.y_mean), y_scale=float(self.y_scale),
                   log_marginal_likelihood=_finite(self.gp.log_marginal_likelihood_value_), note=self.note)
        return out


def fit_emulator(unit: np.ndarray, y: np.ndarray, output: str, seed: int = 0, *, kernel: Kernel | None = None,
                 optimize: bool = True, threshold: float = LOO_SHARE) -> Emulator:
    """Fit one output's emulator on unit-cube points (n, d) and outputs (n,), and check it by leave-one-out.

    Hyperparameters by maximum likelihood from the default start and `RESTARTS` random starts drawn from
    `seed` (deterministic), on a seeded subsample of `HYPER_POINTS` runs when there are more; the GP then
    conditions on every run with them held. `kernel`/`optimize=False` fit a given kernel as it is (tests; a deliberately
    wrong emulator). A constant output is not an error: it is emulated exactly (zero variance, valid). The
    emulator is `valid` when at least `threshold` of its LOO standardised errors lie within +-2."""
    unit = np.atleast_2d(np.asarray(unit, dtype=np.float64))
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if unit.shape[0] != y.size:
        raise ValueError(f"fit_emulator({output}): {unit.shape[0]} points but {y.size} outputs")
    if not np.isfinite(y).all() or not np.isfinite(unit).all():
        raise ValueError(f"fit_emulator({output}): got non-finite values; expected finite runs only")
    n = y.size
    if n < MIN_RUNS:
        return _constant(output, y, valid=False, note=f"{n} runs: too few to emulate (at least {MIN_RUNS})",
                         threshold=threshold)
    scale = float(np.std(y))
    if scale <= 1e-12 * max(1.0, float(np.abs(y).max())):
        return _constant(output, y, valid=True, note="constant output: emulated exactly", threshold=threshold)
    random = np.random.RandomState(_int_seed(seed))
    gp = GaussianProcessRegressor(kernel=kernel if kernel is not None else default_kernel(unit.shape[1]),
                                  n_restarts_optimizer=RESTARTS if optimize else 0,
                                  optimizer="fmin_l_bfgs_b" if optimize else None, random_state=random)
    with warnings.catch_warnings():  # hyperparameters at their bounds are reported by the LOO check instead
        warnings.simplefilter("ignore", ConvergenceWarning)
        if optimize and n > HYPER_POINTS:
            rows = np.sort(random.choice(n, HYPER_POINTS, replace=False))
            learned = gp.fit(unit[rows], standardise(y[rows])[0]).kernel_
            gp = GaussianProcessRegressor(kernel=learned, optimizer=None)
        z, y_mean, y_scale = standardise(y)
        gp.fit(unit, z)
    mean, var = loo(gp, unit, y, y_mean, y_scale)
    error = (y - mean) / np.sqrt(np.maximum(var, 1e-300))
    share = float(np.mean(np.abs(error) <= 2.0))
    return Emulator(output, gp, mean, var, error, share, share >= threshold, y_mean, y_scale, n=n,
                    threshold=threshold)


def standardise(y: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(y - mean) / sd with its mean and sd (sd 1 for a constant), as scikit-learn's `normalize_y` does."""
    mean, sd = float(np.mean(y)), float(np.std(y))
    sd = sd if sd != 0.0 else 1.0
    return (y - mean) / sd, mean, sd


def loo(gp: GaussianProcessRegressor, unit: np.ndarray, y: np.ndarray, y_mean: float,
        y_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out means and variances of a GP fitted on (y - y_mean) / y_scale, at its training points, in
    output units.

    Rasmussen & Williams (2006) eq. 5.12 on the normalised outputs: mu_i = y_i - [K^-1 y]_i / [K^-1]_ii and
    sigma_i^2 = 1 / [K^-1]_ii, with K the fitted kernel at the training points (its nugget included: the
    left-out run is noisy; plus scikit-learn's jitter `alpha`), i.e. what refitting without run i would give
    with the hyperparameters, the prior mean and the scale held fixed."""
    unit = np.atleast_2d(np.asarray(unit, dtype=np.float64))
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    z = (y - y_mean) / y_scale
    K = gp.kernel_(unit)
    K[np.diag_indices_from(K)] += gp.alpha
    chol = np.linalg.cholesky(K)
    inverse = cho_solve((chol, True), np.eye(y.size), check_finite=False)
    weights = cho_solve((chol, True), z, check_finite=False)
    diag = np.diag(inverse)
    mean = z - weights / diag
    return mean * y_scale + y_mean, (1.0 / diag) * y_scale ** 2


def _constant(output: str, y: np.ndarray, valid: bool, note: str, threshold: float = LOO_SHARE) -> Emulator:
    value = float(np.mean(y)) if y.size else math.nan
    zeros = np.zeros(y.size)
    return Emulator(output, None, np.full(y.size, value), zeros, zeros.copy(), 1.0 if valid else 0.0, valid,
                    y_mean=value, y_scale=0.0, constant=value if valid else None, note=note, n=int(y.size),
                    threshold=threshold)


def _parts(kernel: Kernel):
    """Every leaf kernel of a sum/product."""
    if hasattr(kernel, "k1") and hasattr(kernel, "k2"):
        yield from _parts(kernel.k1)
        yield from _parts(kernel.k2)
    else:
        yield kernel


def _nugget(kernel: Kernel) -> float:
    return float(sum(k.noise_level for k in _parts(kernel) if isinstance(k, WhiteKernel)))


def _signal(kernel: Kernel) -> float:
    values = [k.constant_value for k in _parts(kernel) if isinstance(k, ConstantKernel)]
    return float(np.prod(values)) if values else 1.0


def _length_scales(kernel: Kernel):
    for k in _parts(kernel):
        if isinstance(k, RBF):
            return k.length_scale
    return []


def _int_seed(seed: int | np.random.SeedSequence) -> int:
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1)[0])
    return int(seed) % (2 ** 32)


def _finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
