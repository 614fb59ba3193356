"""The scenario schema: what a scenario file may say, validated by pydantic.

A parameter is a `Param`: a value with a plausible range, a distribution over that range and a source. In a
file it is either a bare number (the range and source then come from the scenario it extends) or a table
`{value, range, dist, source}`. Uncertainty is a first-class input: every ranged parameter can be drawn by the
experiment layer.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from morale.scenario import metadata

STREAMS = ("conscript", "contract", "coerced", "converted", "mobilised", "convict_pmc", "convict_ministry", "volunteer")
MAX_HORIZON_YEARS = 30


MAX_DESCRIPTION = 10_000  # characters: a description is a sentence or a paragraph, not a document
SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"  # a scenario name becomes a folder name


class Strict(BaseModel):
    """Unknown fields are errors, assignments are validated, and no number may be NaN or infinite."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class Param(Strict):
    """A number with its uncertainty and provenance."""

    value: float
    range: tuple[float, float] | None = None
    dist: Literal["uniform", "triangular", "normal"] = "uniform"
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _range_ordered(self) -> Param:
        if self.range is not None:
            lo, hi = self.range
            if lo > hi:
                raise ValueError(f"range low {lo} is above high {hi}; expected [low, high] with low <= high")
            if not lo <= self.value <= hi:
                raise ValueError(f"value {self.value} lies outside its range [{lo}, {hi}]; expected a value within it")
        return self


class PerStream(Strict):
    """One parameter for each recruitment stream."""

    conscript: Param
    contract: Param
    coerced: Param
    converted: Param
    mobilised: Param
    convict_pmc: Param
    convict_ministry: Param
    volunteer: Param

    def values(self) -> list[float]:
        return [getattr(self, s).value for s in STREAMS]


class PerLeak(Strict):
    """One parameter for each kind of leaked event."""

    deaths: Param
    executions: Param
    deceptions: Param
    conscript_deaths: Param
    unit_breaks: Param

    def values(self) -> list[float]:
        return [self.deaths.value, self.executions.value, self.deceptions.value, self.conscript_deaths.value,
                self.unit_breaks.value]


class Point(Strict):
    date: dt.date
    value: float = Field(ge=0, le=metadata.MAX_PERSONS)


class Window(Strict):
    """A recruitment drive of a fixed size spread evenly over its dates (a call-up decree, a mobilisation)."""

    start: dt.date
    end: dt.date
    size: float = Field(ge=0, le=metadata.MAX_PERSONS, description="persons")
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}; expected end on or after start")
        return self


class Event(Strict):
    """A policy change on a date: `target` is the dotted path of a parameter or policy switch.

    `dropped_by` says which what-if switched a scenario's event off (`--set PATH` pins PATH, `--drop-event`);
    a dropped event stays in the file so that the run folder shows what was changed.
    """

    date: dt.date
    target: str
    value: float | bool
    id: str | None = None
    enabled: bool = True
    dropped_by: str | None = None
    source: str = Field(min_length=1)


class RegionSpec(Strict):
    """A region a scenario declares itself (a historical case), with constant inputs."""

    code: str = Field(min_length=1)
    name: str
    men_18_59: float = Field(gt=0, le=metadata.MAX_PERSONS, description="persons")
    annual_cohort: float = Field(ge=0, le=metadata.MAX_PERSONS, description="men turning 18 a year")
    wage: float = Field(gt=0, le=metadata.MAX_ROUBLES, description="monthly, in the scenario's currency")
    unemployment: float = Field(gt=0, le=100, description="percent")
    poverty: float = Field(gt=0, le=100, description="percent")
    source: str = Field(min_length=1)


class Population(Strict):
    regions: list[RegionSpec] | None = Field(default=None, description="default: Russia's 85 regions")
    prior_service_share: Param
    prior_service_from_age: Param
    mortality_at_18: Param
    mortality_growth: Param
    prison_population: Param
    prison_men_18_59_share: Param
    prison_sentence_years: Param


class Army(Strict):
    initial_contract: Param
    initial_conscripts: Param
    initial_front: Param
    unit_persons: Param
    home_requirement: Param
    authorised_strength: list[Point] = Field(
        min_length=1, description="persons the Armed Forces may have (decrees); each holds until the next")
    authorised_strength_source: str


class Deployment(Strict):
    front_demand: list[Point] = Field(min_length=1)
    front_demand_source: str
    front_demand_scale: Param
    front_share_of_war_zone: Param
    tour_weeks: Param  # weeks at the front before a man returns for good; 0: no fixed tour


class Pay(Strict):
    monthly_pay: Param
    home_monthly_pay: Param
    federal_bonus: Param
    regional_bonus: Param
    bonus_amortisation_months: Param


class Sanctions(Strict):
    enabled: bool = True
    start: dt.date
    unemployment_pp: Param
    wage_effect: Param
    half_life_weeks: Param


class Economy(Strict):
    reference_unemployment: Param
    reference_poverty: Param
    sanctions: Sanctions
    labour_drain_unemployment: Param
    labour_drain_wage: Param
    labour_drain_reference: list[Point] = Field(min_length=1)
    labour_drain_reference_source: str
    death_compensation: Param
    injury_compensation: Param
    defence_budget_bn: list[Point] = Field(
        min_length=1, description="the federal budget's national defence line, billion RUB a year")
    defence_budget_source: str
    personnel_budget_share: Param
    regional_bonus_budget_share: Param


class Contract(Strict):
    intercept: Param
    signing_weekly_hazard: Param
    willingness_age_decline: Param
    wage_elasticity: Param
    unemployment_elasticity: Param
    poverty_elasticity: Param
    risk_weight: Param
    support_weight: Param
    risk_window_weeks: Param
    max_age: Param


class Conscription(Strict):
    upper_age: Param
    exempt_share: Param  # men legally exempt for good: deferments, conscientious objection, unfitness
    callups: list[Window]
    repeat_last: bool = True


class Coercion(Strict):
    weekly_quota: Param
    response_weekly_quota: Param
    without_prior_share: Param
    max_age: Param


class Conversion(Strict):
    weekly_hazard: Param
    response_weekly_hazard: Param
    deceived_share: Param


class Convicts(Strict):
    pmc_weekly_hazard: Param
    ministry_weekly_hazard: Param
    ministry_response_weekly_hazard: Param
    defendant_share: Param
    max_age: Param
    contract_weeks: Param


class Shortfall(Strict):
    """The state's response ladder (M4, M5): money, then coercion and deception, then convicts, then a new
    mobilisation; see `morale.processes.manpower`."""

    enabled: bool = True
    tolerance: Param
    lag_weeks: Param
    descent_weeks: Param
    bonus_growth: Param
    bonus_competition: Param
    mobilisation_threshold: Param
    mobilisation_size: Param
    mobilisation_weeks: Param
    mobilisation_cooldown_weeks: Param
    failure_share: Param


class Recruitment(Strict):
    contract: Contract
    conscription: Conscription
    mobilisations: list[Window]
    mobilisation_max_age: Param
    volunteer_formations: list[Window] = Field(default_factory=list, description="yearly sign-ups of volunteer "
                                               "formations, as dated windows")
    volunteer_max_age: Param
    foreign_recruits: list[Window] = Field(default_factory=list, description="foreigners recruited abroad or "
                                           "among migrants, as dated windows (not men of the modelled population)")
    coercion: Coercion
    conversion: Conversion
    convicts: Convicts
    shortfall: Shortfall


class Training(Strict):
    weeks: PerStream
    effectiveness_min: Param
    tau_weeks: Param
    experience_weight: Param


class Combat(Strict):
    intensity: Param
    intensity_shape: list[Point] = Field(min_length=1)
    intensity_shape_source: str
    hold_daily_loss: Param
    assault_daily_loss: Param
    storm_daily_loss: Param
    assault_share: PerStream
    storm_share: PerStream
    guard_share: PerStream
    refusal_loss_weight: Param
    wounded_per_killed: Param
    captured_share: Param
    recovery_weeks: Param
    invalidity_share: Param
    exchange_weekly: Param

    @model_validator(mode="after")
    def _postures(self) -> Combat:
        for stream in STREAMS:
            shares = [getattr(getattr(self, f"{kind}_share"), stream).value for kind in ("assault", "storm", "guard")]
            if any(not 0 <= share <= 1 for share in shares):
                continue  # a share outside [0, 1] is refused by its own legal bounds, which name the field
            total = sum(shares)
            if total > 1 + 1e-9:
                raise ValueError(f"{stream}: assault + storm + guard shares add to {total:g}; expected at most 1 (the "
                                 f"rest holds)")
        return self


class Mind(Strict):
    """Soldiers' morale, stress, fear and their weekly choice (M9)."""

    morale_initial: PerStream
    morale_recovery: Param
    morale_loss_per_loss_share: Param
    morale_loss_per_execution_share: Param
    stress_per_week_in_contact: Param
    stress_per_loss_share: Param
    stress_rest_decay: Param
    fear_decay: Param
    fear_per_execution_share: Param
    fear_per_detention_share: Param
    fire_probability: Param
    threshold_mean: Param
    threshold_sd: Param
    advance_constant: Param
    refuse_constant: Param
    flee_constant: Param
    surrender_constant: Param
    weight_morale: Param
    weight_cohesion: Param
    weight_risk: Param
    weight_stress: Param
    weight_fear: Param
    weight_fire_flee: Param
    weight_fire_surrender: Param
    weight_sanction: Param
    sanction_concavity: Param
    weight_peer: Param
    awol_weekly_hazard: Param
    awol_stress_weight: Param
    awol_return_weekly: Param
    awol_desertion_weeks: Param
    cohesion_initial: Param
    cohesion_recovery: Param
    cohesion_loss_per_loss_share: Param
    cohesion_loss_per_execution_share: Param
    break_threshold: Param
    break_morale_weight: Param
    rest_weeks: Param


class Regime(Strict):
    """What a discipline regime does with a refuser it detects or a fleer it catches."""

    detect_refusal: Param
    catch_flight: Param
    refuser_execute_share: Param
    refuser_penal_share: Param
    refuser_detain_share: Param
    fleer_execute_share: Param
    fleer_penal_share: Param
    fleer_detain_share: Param
    prior_certainty: Param

    @model_validator(mode="after")
    def _shares(self) -> Regime:
        for who in ("refuser", "fleer"):
            total = sum(getattr(self, f"{who}_{kind}_share").value for kind in ("execute", "penal", "detain"))
            if total > 1 + 1e-9:
                raise ValueError(f"{who} execute + penal + detain shares add to {total:g}; expected at most 1")
        return self


RegimeName = Literal["legal", "punitive", "lethal"]


class StreamRegimes(Strict):
    conscript: RegimeName
    contract: RegimeName
    coerced: RegimeName
    converted: RegimeName
    mobilised: RegimeName
    convict_pmc: RegimeName
    convict_ministry: RegimeName
    volunteer: RegimeName


class Discipline(Strict):
    """Discipline regimes (M10): per stream at a unit's formation, with an unofficial drift to lethal."""

    regime: StreamRegimes
    legal: Regime
    punitive: Regime
    lethal: Regime
    severity_execution: Param
    severity_penal: Param
    severity_detention: Param
    severity_returned: Param
    detention_weeks: Param
    prosecuted_share: Param
    awol_prosecuted_share: Param
    imprisoned_share: Param
    awol_catch_weekly: Param
    deserter_catch_weekly: Param
    penal_weeks: Param
    execution_cap_share: Param
    certainty_learning: Param
    formation_companies: Param
    formation_news_probability: Param
    formation_news_lag_weeks: Param
    news_learning: Param
    news_fear: Param
    news_half_share: Param
    drift_enabled: bool
    drift_base_hazard: Param
    drift_refusal_weight: Param
    drift_imitation_weight: Param
    drift_impunity_weight: Param
    drift_cap: Param


class Information(Strict):
    """Leaks (M11): each kind of event becomes public knowledge with a probability and a lag."""

    enabled: bool
    censorship: Param
    censorship_probability_effect: Param
    censorship_lag_effect: Param
    leak_probability: PerLeak
    lag_weeks: PerLeak
    local_leak_probability: Param
    local_lag_weeks: Param
    soldier_reach: Param
    soldier_half_saturation: Param


class Opinion(Strict):
    """Private and polled support for continuing the war (M12)."""

    baseline: Param
    person_sd: Param
    mueller_weight: Param
    mueller_scale: Param
    memory_half_life_weeks: Param
    recent_weight: Param
    recent_half_life_weeks: Param
    recent_half_saturation: Param
    local_weight: Param
    local_half_life_weeks: Param
    local_half_saturation: Param
    execution_weight: Param
    execution_half_saturation: Param
    coercion_weight: Param
    coercion_half_life_weeks: Param
    coercion_half_saturation: Param
    conscript_weight: Param
    conscript_half_saturation: Param
    mobilisation_weight: Param
    mobilisation_half_life_weeks: Param
    mobilisation_half_saturation: Param
    hardship_weight: Param
    success_weight: Param
    family_weight: Param
    family_ties_per_soldier: Param
    falsification_gap: Param
    falsification_repression_weight: Param
    negotiate_offset: Param
    reversal_drop: Param


class Opposition(Strict):
    """Epstein (2002) activation in a local neighbourhood, arrests, jail, violence (M13)."""

    enabled: bool
    police_capacity: Param
    population_per_man: Param
    contacts: Param
    k: Param
    threshold: Param
    ratio: Literal["plain", "floor", "round"]
    risk_aversion_shape: Param
    reconsider_weekly: Param
    hardship_base: Param
    hardship_poverty_weight: Param
    hardship_unemployment_weight: Param
    legitimacy_base: Param
    legitimacy_support_weight: Param
    arrest_efficiency: Param
    criminal_share: Param
    criminal_share_violent: Param
    violent_arrest_factor: Param
    admin_jail_weeks: Param
    criminal_jail_weeks: Param
    futility_weeks: Param
    violence_weekly_hazard: Param
    violence_repression_weight: Param
    calm_grievance_drop: Param


class Emigration(Strict):
    """Emigration to avoid service, unemployment or repression; the exit ban; returns (M14)."""

    enabled: bool
    base_weekly_hazard: Param
    threat_weight: Param
    threat_half_life_weeks: Param
    threat_filled_half_life_weeks: Param
    invasion_shock: Param
    invasion_half_life_weeks: Param
    grievance_weight: Param
    unemployment_weight: Param
    repression_weight: Param
    summoned_weight: Param
    summons_per_recruit: Param
    ban_enforcement: Param
    return_weekly_hazard: Param
    return_decay_weeks: Param
    men_share_of_departures: Param


class Service(Strict):
    conscript_weeks: Param
    contract_term_weeks: Param


class Policy(Strict):
    conscripts_to_combat: bool
    # with conscripts_to_combat: conscripts fill the front's demand like other streams instead of all going as
    # soon as they are trained (a war that sends a share of its draft: Vietnam, Afghanistan, Chechnya)
    conscripts_as_needed: bool = False
    stop_loss: bool
    pmc_recruits_convicts: bool
    ministry_recruits_convicts: bool
    exit_ban: bool
    new_mobilisation: bool
    defendants_may_sign: bool = False


class Scenario(Strict):
    """A whole scenario, resolved: every parameter has a value, range and source."""

    name: str = Field(description="also the default run folder's name: letters, digits, '.', '_', '-'")
    description: str = Field(max_length=MAX_DESCRIPTION)
    start: dt.date
    end: dt.date
    scale: float = Field(ge=1, le=10000, description="persons per agent")
    seed: int = Field(ge=0, lt=2**63)
    population: Population
    army: Army
    deployment: Deployment
    pay: Pay
    economy: Economy
    recruitment: Recruitment
    training: Training
    combat: Combat
    mind: Mind
    discipline: Discipline
    information: Information
    opinion: Opinion
    opposition: Opposition
    emigration: Emigration
    service: Service
    policy: Policy
    events: list[Event] = []
    pinned: list[str] = Field(default=[], description="paths held fixed for the whole run by --set (what-if)")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        if not re.fullmatch(SAFE_NAME, name) or ".." in name:
            shown = name if len(name) <= 60 else f"{name[:40]}... ({len(name):,} characters)"
            raise ValueError(f"got {shown!r}; expected a folder-safe name of 1-100 letters, digits, '.', '_' or "
                             f"'-' (no path separators, no '..')")
        return name

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: dt.date, info) -> dt.date:
        start = info.data.get("start")
        if start is not None:
            if end <= start:
                raise ValueError(f"got {end}; expected a date after start {start}")
            if end > _add_years(start, MAX_HORIZON_YEARS):
                raise ValueError(f"got {end}; expected at most {MAX_HORIZON_YEARS} years after start {start}")
        return end

    @model_validator(mode="after")
    def _events_within_horizon(self) -> Scenario:
        latest = _add_years(self.start, MAX_HORIZON_YEARS)
        for i, event in enumerate(self.events):
            if not self.start <= event.date <= latest:
                raise ValueError(
                    f"events[{i}].date: got {event.date} (target {event.target}); expected a date in the horizon "
                    f"{self.start}..{latest}"
                )
        return self

    @model_validator(mode="after")
    def _legal(self) -> Scenario:
        """Every parameter's value and range, and every event's value, within the legal bounds of
        `morale.scenario.metadata` (a file can narrow what is plausible, never widen what is legal)."""
        for path, param in parameters(self).items():
            for what, value in (("", param.value), (".range[0]", (param.range or (0, 0))[0]),
                                (".range[1]", (param.range or (0, 0))[1])):
                if what and param.range is None:
                    continue
                problem = metadata.violation(path, value)
                if problem:
                    raise ValueError(f"{path}{what}: {problem}")
        for i, event in enumerate(self.events):
            try:
                node, attribute = resolve_target(self, event.target)
            except LookupError as err:
                raise ValueError(f"events[{i}].target: {err}") from None
            current = getattr(node, attribute)
            if isinstance(current, bool):
                if not isinstance(event.value, bool):
                    raise ValueError(f"events[{i}].value: got {event.value!r} (target {event.target}); expected "
                                     f"true or false, as the target is a policy switch")
                continue
            problem = metadata.violation(event.target, event.value)
            if problem:
                raise ValueError(f"events[{i}].value: {problem.replace('; ', f' (target {event.target}); ', 1)}")
        for i, path in enumerate(self.pinned):
            try:
                resolve_target(self, path, leaves_only=False)
            except LookupError as err:
                raise ValueError(f"pinned[{i}]: {err}") from None
        return self


def parameters(node: BaseModel, prefix: str = "") -> dict[str, Param]:
    """Every numeric parameter under `node`, by dotted path, in schema order."""
    found: dict[str, Param] = {}
    for name in type(node).model_fields:
        value = getattr(node, name)
        if isinstance(value, Param):
            found[f"{prefix}{name}"] = value
        elif isinstance(value, BaseModel):
            found.update(parameters(value, f"{prefix}{name}."))
    return found


def resolve_target(scenario: BaseModel, target: str, leaves_only: bool = True) -> tuple[object, str]:
    """The object and attribute a dotted path names. With `leaves_only` (events), only numeric parameters and
    policy switches; raises LookupError with a one-line reason (and a did-you-mean)."""
    node: object = scenario
    parts = target.split(".")
    for depth, part in enumerate(parts):
        fields = list(type(node).model_fields) if isinstance(node, BaseModel) else []
        if part not in fields:
            hint = difflib.get_close_matches(part, fields, n=1)
            suggestion = f"; did you mean '{'.'.join([*parts[:depth], hint[0]])}'?" if hint else ""
            raise LookupError(f"got '{target}', which names no parameter; expected the dotted path of a "
                              f"number or a policy switch{suggestion}")
        if depth == len(parts) - 1:
            leaf = getattr(node, part)
            if leaves_only and not isinstance(leaf, Param | bool):
                raise LookupError(f"got '{target}'; expected the path of a number or a policy switch (this "
                                  f"names a {type(leaf).__name__})")
            return node, part
        node = getattr(node, part)
    raise AssertionError("unreachable")


def _add_years(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February
        return date.replace(year=date.year + years, day=28)
