"""Design points -> tasks, for the simulator or a plain Python function (shared by sweeps and sensitivity).

Seeds are paired across design points: replicate r of every point uses `SeedSequence(seed, spawn_key=(r,))`
(common random numbers), so differences between points come from the parameters, not from the noise;
`morale run --seed S --replicate r --set NAME=VALUE ...` reproduces any run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from morale.experiments.parameters import Uncertain, named_parameter, parse_param
from morale.experiments.tasks import FunctionModel, SimulatorModel, Task


def simulator_parameters(resolved, names: list[str]) -> tuple[list[Uncertain], dict[str, list[float]]]:
    """Parse `--param` texts against a resolved scenario: the parameters and any explicit grid levels."""
    params, levels = [], {}
    for text in names:
        name, lo, hi, explicit = parse_param(text)
        params.append(named_parameter(resolved, name, lo, hi))
        if explicit:
            levels[name] = explicit
    if len({p.name for p in params}) != len(params):
        raise ValueError("--param: a parameter is named twice")
    return params, levels


def function_model(fn: Callable[..., Any], parameters: dict[str, tuple[float, float]] | list[Uncertain],
                   outputs: tuple[str, ...] = ("y",)) -> tuple[FunctionModel, list[Uncertain]]:
    """A plain Python model `fn(**params) -> float | dict` and its parameters (uniform over (low, high))."""
    if isinstance(parameters, dict):
        params = [Uncertain(k, (lo + hi) / 2, lo, hi) for k, (lo, hi) in parameters.items()]
    else:
        params = list(parameters)
    return FunctionModel(fn, tuple(outputs)), params


def design_tasks(model: SimulatorModel | FunctionModel, points: list[dict[str, float]], runs: int, seed: int,
                 outcomes: tuple[str, ...], labels: list[dict[str, Any]] | None = None,
                 keep_series: bool = False) -> list[Task]:
    """Replicate r of point p, with the point's values as the run's parameters. `labels` (one dict per point)
    go into the run table only, never to the model (a sensitivity analysis's dummy parameter, say).
    `keep_series` saves each simulator run's weekly series (a plain function has none)."""
    extra = labels or [{}] * len(points)
    keep = keep_series and isinstance(model, SimulatorModel)
    return [Task(key=f"p{p:06d}-r{r:03d}", model=model, seed=seed, replicate=r, params=point, outcomes=outcomes,
                 keep_series=keep, labels={"point": p, **extra[p]}) for p, point in enumerate(points)
            for r in range(runs)]


def model_description(model: SimulatorModel | FunctionModel, resolved=None) -> dict[str, Any]:
    if isinstance(model, FunctionModel):
        return {"function": f"{model.fn.__module__}.{getattr(model.fn, '__qualname__', repr(model.fn))}",
                "outputs": list(model.outputs)}
    from morale.experiments.ensemble import model_spec

    return model_spec(model, resolved)
