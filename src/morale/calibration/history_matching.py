"""History matching in waves (Andrianakis et al. 2015; Vernon et al. 2022). Placeholder: being written."""

from __future__ import annotations

from dataclasses import dataclass

CUTOFF = 3.0  # a point is ruled out when its second-largest implausibility exceeds this
DISCREPANCY = 0.10  # model discrepancy sd, as a share of the observed value, unless a target says otherwise
LOO_SHARE = 0.95  # an emulator is used only when this share of its LOO standardised errors lie within +-2


@dataclass(frozen=True)
class Observation:
    """One observed figure as the calibration sees it.

    `output` names the run outcome that predicts it (already passed through the observation model, so
    E[z] = E[output]); `value` is z; `variance` is the observation's own variance (sampling, house effect,
    bias uncertainty); `discrepancy` is the model discrepancy sd as a share of |z| (None: `DISCREPANCY`)."""

    output: str
    value: float
    variance: float
    discrepancy: float | None = None
    label: str = ""

    def discrepancy_variance(self, default: float = DISCREPANCY) -> float:
        share = default if self.discrepancy is None else self.discrepancy
        return (share * abs(self.value)) ** 2
