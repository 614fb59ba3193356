"""Epstein's civil-violence model: each rule on hand-built lattices, exactness of the incremental fields,
and the paper's results on small seeded ensembles (tolerances stated in each test)."""

import math

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from morale.classic import _kernel, _lattice, civil_violence
from morale.classic.cli import classic_app
from morale.classic.variants import GradualDecline, SuddenDrop
from morale.kernels.epstein import arrest_probability

K = _kernel


# ---------------------------------------------------------------- helpers


def window_offsets(view, own_cell):
    offsets = [tuple(cell) for cell in view.cells]
    return offsets + [(0, 0)] if own_cell else offsets


def recount(state, rules, view):
    """Every field recomputed from positions and states alone."""
    people, cops = state.people, state.cops
    width, height, n_cells = rules.width, rules.height, rules.width * rules.height
    cop_here = np.bincount(cops, minlength=n_cells).reshape(height, width)
    free = people[:, K.JAILED] == 0
    actives = people[people[:, K.ACTIVE] == 1, K.CELL]
    active_here = np.bincount(actives, minlength=n_cells).reshape(height, width)
    cop_seen, active_seen = np.zeros_like(cop_here), np.zeros_like(active_here)
    for dx, dy in window_offsets(view, rules.own_cell):
        cop_seen += np.roll(cop_here, (-dy, -dx), axis=(0, 1))
        active_seen += np.roll(active_here, (-dy, -dx), axis=(0, 1))
    blocking = free if rules.jail_mode != K.JAIL_BLOCKING else np.ones_like(free)
    on_lattice = people[:, K.CELL] >= 0
    blockers = np.bincount(people[blocking & on_lattice, K.CELL], minlength=n_cells) + cop_here.ravel()
    return {
        "cop_seen": cop_seen.ravel(),
        "active_seen": active_seen.ravel(),
        "active_here": active_here.ravel(),
        "blockers": blockers,
    }


def assert_fields_exact(state, rules, view):
    expected = recount(state, rules, view)
    fields = state.fields
    for name, row in (
        ("cop_seen", K.COP_SEEN),
        ("active_seen", K.ACTIVE_SEEN),
        ("active_here", K.ACTIVE_HERE),
        ("blockers", K.BLOCKERS),
    ):
        np.testing.assert_array_equal(fields[row], expected[name], err_msg=name)
    people = state.people
    for cell in np.unique(people[people[:, K.CELL] >= 0, K.CELL]):
        listed, i = set(), fields[K.FIRST, cell]
        while i >= 0:
            listed.add(int(i))
            i = people[i, K.NEXT]
        assert listed == set(np.flatnonzero(people[:, K.CELL] == cell).tolist())
    assert state.tally[0] == people[:, K.ACTIVE].sum() and state.tally[1] == people[:, K.JAILED].sum()


def hand_lattice(citizens, cops, variant="paper", **options):
    """A lattice built by hand: citizens as (x, y, hardship, risk_aversion, active), cops as (x, y)."""
    config = civil_violence.configure(variant, **options)
    state, rules, view, cop_view = civil_violence.prepare(config, 0)
    width = config.width
    people = np.zeros((len(citizens), 5), dtype=np.int64)
    people[:, K.CELL] = [y * width + x for x, y, *_ in citizens]
    people[:, K.ACTIVE] = [c[4] for c in citizens]
    people[:, K.NEXT] = -1
    fields = np.zeros_like(state.fields)
    fields[K.FIRST] = -1
    fields[K.FIRST, people[:, K.CELL]] = np.arange(len(citizens))
    cop_cells = np.array([y * width + x for x, y in cops], dtype=np.int64)
    hand = K.State(
        people,
        np.array([c[2:4] for c in citizens], dtype=np.float64),
        fields,
        cop_cells,
        np.arange(len(citizens) + len(cops), dtype=np.int64),
        state.rng,
        np.array([people[:, K.ACTIVE].sum(), 0], dtype=np.int64),
    )
    expected = recount(hand, rules, view)
    fields[K.COP_SEEN], fields[K.ACTIVE_SEEN] = expected["cop_seen"], expected["active_seen"]
    fields[K.ACTIVE_HERE], fields[K.BLOCKERS] = expected["active_here"], expected["blockers"]
    return hand, rules, view, cop_view, config


def advance(hand, rules, view, cop_view, steps=1, legitimacy=0.5):
    counts = np.zeros((steps + 1, 3), dtype=np.int64)
    pictures = np.zeros((0, rules.width * rules.height), dtype=np.int8)
    K.run(hand, rules, view, cop_view, np.full(steps, legitimacy), counts, pictures)
    return counts


STILL = {"width": 11, "height": 11, "vision": 2.0, "cop_vision": 0.0, "movement": False}
"""Citizens stay put and cops see nobody (so arrest nobody): decisions alone are tested."""


# ---------------------------------------------------------------- geometry and bookkeeping


@pytest.mark.parametrize(("shape", "cells"), [("von_neumann", 112), ("euclidean", 148), ("moore", 224), ("cross", 28)])
def test_vision_seven_windows_have_the_ports_sizes(shape, cells):
    assert len(_lattice.window(shape, 7, 40, 40).cells) == cells


def test_window_on_small_torus_counts_each_cell_once():
    assert len(_lattice.window("moore", 7, 5, 5).cells) == 24
    assert len(_lattice.window("von_neumann", 7, 4, 9).cells) == 35
    assert len(_lattice.window("euclidean", 1.7, 40, 40).cells) == 8  # Run 1's radius 1.7: the 8 neighbours


@pytest.mark.parametrize("variant", ["paper", "mesa", "netlogo"])
def test_same_seed_same_frame_and_seeds_differ(variant):
    a = civil_violence.simulate(120, 7, variant, legitimacy=0.7)
    b = civil_violence.simulate(120, 7, variant, legitimacy=0.7)
    c = civil_violence.simulate(120, 8, variant, legitimacy=0.7)
    assert a.equals(b)
    assert not a.equals(c)


def test_series_layout_and_conservation():
    series = civil_violence.simulate(30, 1, "paper", legitimacy=0.6)
    assert list(series.columns) == ["quiescent", "active", "jailed"] and len(series) == 31
    assert tuple(series.iloc[0]) == (1120, 0, 0)  # exact placement: round(0.7 * 1600)
    assert (series.sum(axis=1) == 1120).all()
    mesa_counts = {int(civil_violence.simulate(0, s, "mesa").iloc[0].sum()) for s in range(5)}
    assert len(mesa_counts) > 1 and all(abs(n - 1120) < 5 * math.sqrt(1600 * 0.7 * 0.3) for n in mesa_counts)


@pytest.mark.parametrize(
    ("variant", "options"),
    [
        ("paper", {}),
        ("mesa", {}),
        ("netlogo", {}),
        ("paper", {"cop_vision": 3.0, "jail_clock": "tick", "cop_to_arrestee": True}),
        ("mesa", {"order": "move_act", "neighbourhood": "moore", "vision": 2.0}),
        ("netlogo", {"order": "act_move", "jail": "removed", "cop_vision": 5.5, "max_jail": 3}),
    ],
)
def test_incremental_fields_equal_a_full_recount(variant, options):
    """The O(1) neighbourhood counts are exact: after a turbulent run they equal a recount from scratch."""
    config = civil_violence.configure(variant, width=23, height=19, legitimacy=0.55, **options)
    state, rules, view, cop_view = civil_violence.prepare(config, 3)
    for _ in range(4):
        counts = advance(state, rules, view, cop_view, steps=15, legitimacy=0.55)
        assert counts[-1, 1] > 0 or counts[:, 2].max() > 0  # there was something to keep track of
        assert_fields_exact(state, rules, view)


# ---------------------------------------------------------------- rule A (citizens decide)


@pytest.mark.parametrize(("cop_at", "active"), [((5, 6), 0), ((0, 0), 1)])
def test_lone_citizen_defers_to_a_cop_in_view_only(cop_at, active):
    # G = 0.9 * (1 - 0.5) = 0.45; with one cop and A = 1, R P = 0.5 * 0.8997 -> G - RP = 0.0002 < T
    hand = hand_lattice([(5, 5, 0.9, 0.5, 0)], [cop_at], **STILL)
    assert advance(*hand[:4])[1, 1] == active


@pytest.mark.parametrize(("ratio", "active"), [("plain", 0), ("floor", 1), ("round", 0)])
def test_ratio_rules_on_three_cops_and_two_actives(ratio, active):
    # X: G = 0.45, R = 0.35 / 0.95, so X rebels iff P < 0.95. C/A = 3/2: plain P = 0.968,
    # floor(1.5) = 1 -> 0.8997, round(1.5) = 2 -> 0.98995. Y (R = 0) stays active whatever it sees.
    citizens = [(5, 5, 0.9, 0.35 / 0.95, 0), (5, 4, 0.99, 0.0, 1)]
    hand = hand_lattice(citizens, [(6, 5), (4, 5), (5, 7)], ratio=ratio, **STILL)
    state = hand[0]
    advance(*hand[:4])
    assert state.people[0, K.ACTIVE] == active and state.people[1, K.ACTIVE] == 1


@pytest.mark.parametrize(("own_cell", "active"), [(True, 1), (False, 0)])
def test_netlogo_active_agent_counts_itself_twice(own_cell, active):
    # An active X with two cops and nobody else in view: A = 2 in NetLogo (its own patch is in its
    # neighbourhood), so floor(2/2) = 1 -> P = 0.8997 < 0.95 and it stays active; counted once,
    # floor(2/1) = 2 -> P = 0.98995 and it turns quiet.
    hand = hand_lattice(
        [(5, 5, 0.9, 0.35 / 0.95, 1)],
        [(6, 5), (4, 5)],
        "netlogo",
        own_cell_in_view=own_cell,
        cop_to_arrestee=False,
        **STILL,
    )
    advance(*hand[:4])
    assert hand[0].people[0, K.ACTIVE] == active


def test_changing_legitimacy_changes_grievance_during_the_run():
    series = civil_violence.simulate(10, 2, "mesa", cop_density=0.0, legitimacy=lambda t: 1.0 if t < 5 else 0.0)
    n = int(series.iloc[0].sum())
    assert (series.loc[1:4, "active"] == 0).all()
    # With no cops P = 0, so at L = 0 exactly the citizens with H > T rebel: Binomial(n, 0.9), 5 sd.
    assert abs(series.loc[5, "active"] - 0.9 * n) < 5 * math.sqrt(n * 0.09)


# ---------------------------------------------------------------- rule C (cops arrest) and jail


@pytest.mark.parametrize(
    ("variant", "cell_kept", "blocks"), [("paper", False, False), ("mesa", True, True), ("netlogo", True, False)]
)
def test_a_cop_jails_one_active_per_activation(variant, cell_kept, blocks):
    rebels = [(4, 5, 0.99, 0.0, 1), (5, 5, 0.99, 0.0, 1), (6, 5, 0.99, 0.0, 1)]
    options = {**STILL, "cop_vision": 10.0, "max_jail": 1000}
    hand = hand_lattice(rebels, [(5, 8)], variant, **options)
    counts = advance(*hand[:4], steps=3)
    assert list(counts[:, 2]) == [0, 1, 2, 3] and counts[3, 1] == 0
    state = hand[0]
    assert (state.people[:, K.JAILED] == 1).all()
    assert (state.people[:, K.CELL] >= 0).all() == cell_kept
    if cell_kept:
        assert (state.fields[K.BLOCKERS, state.people[:, K.CELL]] > 0).all() == blocks


@pytest.mark.parametrize(("inclusive", "values"), [(True, set(range(6))), (False, set(range(5)))])
def test_jail_terms_are_uniform_on_the_ports_ranges(inclusive, values):
    rules = civil_violence._rules(civil_violence.configure("paper", max_jail=5, max_jail_inclusive=inclusive))
    state = civil_violence.prepare(civil_violence.configure("paper", width=5, height=5), 1)[0]
    terms = np.array([K._jail_term(state.rng, rules) for _ in range(12_000)])
    assert set(terms.tolist()) == values
    shares = np.bincount(terms) / len(terms)
    assert np.abs(shares - 1 / len(values)).max() < 0.02  # 12k draws: sd of a share < 0.004
    life = civil_violence._rules(civil_violence.configure("paper", max_jail=math.inf))
    assert K._jail_term(state.rng, life) == K.LIFE


def prisoner(variant, term, **options):
    hand = hand_lattice([(5, 5, 0.5, 0.5, 0)], [], variant, **{**STILL, **options})
    state = hand[0]
    state.people[0, K.JAILED], state.people[0, K.TERM], state.tally[1] = 1, term, 1
    if hand[1].jail_mode == K.JAIL_REMOVED:
        state.fields[K.BLOCKERS, 60], state.fields[K.FIRST, 60], state.people[0, K.CELL] = 0, -1, -1
    elif hand[1].jail_mode == K.JAIL_SHARED:
        state.fields[K.BLOCKERS, 60] = 0
    return hand


def test_activation_clock_serves_a_term_in_own_activations_then_rejoins():
    hand = prisoner("paper", 2)
    counts = advance(*hand[:4], steps=3, legitimacy=1.0)
    assert list(counts[:, 2]) == [1, 1, 1, 0]  # skips 2 activations, is released at the third
    assert hand[0].people[0, K.CELL] >= 0  # back on the lattice, on a free cell
    assert_fields_exact(hand[0], hand[1], hand[2])


def test_tick_clock_releases_when_the_term_runs_out_at_the_end_of_a_period():
    hand = prisoner("netlogo", 2)
    counts = advance(*hand[:4], steps=3, legitimacy=1.0)
    assert list(counts[:, 2]) == [1, 1, 0, 0]
    assert_fields_exact(hand[0], hand[1], hand[2])


# ---------------------------------------------------------------- rule M (movement)


@pytest.mark.parametrize(("variant", "cops"), [("paper", 0.0), ("mesa", 0.074)])
def test_moves_go_to_free_cells_within_vision(variant, cops):
    # (no cops in the paper variant: a prisoner released there re-enters anywhere on the lattice)
    config = civil_violence.configure(variant, width=20, height=20, vision=2.0, legitimacy=0.6, cop_density=cops)
    state, rules, view, cop_view = civil_violence.prepare(config, 5)
    moved = 0
    for _ in range(10):
        before = state.people[:, K.CELL].copy()
        was_free = state.people[:, K.JAILED] == 0
        advance(state, rules, view, cop_view, legitimacy=0.6)
        after = state.people[:, K.CELL]
        both = was_free & (before >= 0) & (after >= 0) & (state.people[:, K.JAILED] == 0)
        dy = np.abs(after[both] // 20 - before[both] // 20)
        dx = np.abs(after[both] % 20 - before[both] % 20)
        assert (np.minimum(dx, 20 - dx) + np.minimum(dy, 20 - dy) <= 2).all()
        moved += int((after[both] != before[both]).sum())
        on = state.people[:, K.CELL][state.people[:, K.CELL] >= 0]
        assert len(np.unique(np.concatenate([on, state.cops]))) == len(on) + len(state.cops)
    assert moved > 1000


def test_nobody_moves_on_a_full_lattice():
    run = civil_violence.run(
        5, 0, "paper", width=8, height=8, citizen_density=1.0, cop_density=0.0, legitimacy=0.3, record_lattice=True
    )
    assert (run.lattice > 0).all()


# ---------------------------------------------------------------- the paper's results


@pytest.mark.parametrize("variant", ["paper", "mesa", "netlogo"])
def test_no_rebel_ever_at_legitimacy_ninety_percent(variant):
    """Exact: G = H(1 - L) <= 0.1 = T, so G - RP > T never holds, whatever the cops (here none)."""
    for legitimacy in (0.9, 0.95):
        for seed in range(3):
            series = civil_violence.simulate(150, seed, variant, legitimacy=legitimacy, cop_density=0.0)
            assert series["active"].max() == 0


def longest_quiet_spell(actives):
    longest = current = 0
    for a in actives:
        current = current + 1 if a <= 50 else 0
        longest = max(longest, current)
    return longest


def test_punctuated_outbursts_under_floor_and_none_under_the_plain_ratio():
    """NetLogo variant, L = 0.82, 3 seeds x 1000 steps: every run has >= 10 outbursts (> 50 actives) but
    spends most steps quiet (median actives <= 25, quiet spells >= 20 steps); with the paper's plain ratio
    no run ever exceeds 50 actives."""
    for seed in range(3):
        actives = civil_violence.simulate(1000, seed, "netlogo")["active"].to_numpy()
        assert civil_violence.count_outbursts(actives) >= 10
        assert np.median(actives) <= 25 and longest_quiet_spell(actives) >= 20
        plain = civil_violence.simulate(1000, seed, "netlogo", ratio="plain")["active"]
        assert plain.max() <= 50
        assert civil_violence.simulate(1000, seed, "paper")["active"].max() <= 50


def test_salami_tactics_against_a_sudden_drop():
    """NetLogo variant, 6 seeds x 200 steps.

    At Table 2's Runs 3-4 settings (cops 0.074, J_max infinite) cutting L from 0.9 by 0.01 a step down to
    0.2 never brings an outburst (peak <= 50 in every seed), and a cut from 0.9 to 0.7 at once at t = 77
    brings a higher peak than the whole salami in every seed. At NetLogo's own density (cops 0.04, J_max
    30) the sudden cut explodes into an outburst within 5 steps in every seed. (Under NetLogo's rules the
    sudden cut rarely exceeds 50 actives at 0.074 cops and the salami does explode at 0.04: docs/classic.md.)
    """
    many_cops = {"cop_density": 0.074, "max_jail": math.inf}
    for seed in range(6):
        salami = civil_violence.simulate(200, seed, "netlogo", legitimacy=GradualDecline(), **many_cops)
        drop = civil_violence.simulate(200, seed, "netlogo", legitimacy=SuddenDrop(), **many_cops)
        assert salami["active"].max() <= 50
        assert drop["active"].max() > salami["active"].max()
        assert drop.loc[:76, "active"].max() == 0
        netlogo_drop = civil_violence.simulate(90, seed, "netlogo", legitimacy=SuddenDrop())
        assert netlogo_drop.loc[77:82, "active"].max() > 50


def test_fewer_cops_tip_the_lattice_into_rebellion():
    """NetLogo variant, L = 0.8, J_max 30, 3 seeds x 400 steps: at cop density 0.074 no outburst and under 2
    actives on average; at 0.04 at least 5 outbursts per run and over 20 actives on average."""
    for seed in range(3):
        many = civil_violence.simulate(400, seed, "netlogo", legitimacy=0.8, cop_density=0.074)["active"]
        few = civil_violence.simulate(400, seed, "netlogo", legitimacy=0.8, cop_density=0.04)["active"]
        assert civil_violence.count_outbursts(many) == 0 and many[100:].mean() < 2
        assert civil_violence.count_outbursts(few) >= 5 and few[100:].mean() > 20


# ---------------------------------------------------------------- API and CLI


@pytest.mark.parametrize(
    ("variant", "options", "message"),
    [
        ("tsarist", {}, "unknown variant"),
        ("paper", {"colour": 1}, "unknown option"),
        ("paper", {"width": -3}, "width"),
        ("paper", {"citizen_density": 0.9, "cop_density": 0.2}, "exceed 1"),
        ("paper", {"ratio": "ceil"}, "ratio"),
        ("mesa", {"cop_to_arrestee": True}, "cop_to_arrestee"),
        ("paper", {"max_jail": 2.5}, "max_jail"),
    ],
)
def test_bad_options_are_refused(variant, options, message):
    with pytest.raises(ValueError, match=message):
        civil_violence.simulate(1, 0, variant, **options)


def test_variant_defaults_and_overrides():
    assert civil_violence.configure("mesa").cop_density == 0.074
    assert civil_violence.configure("netlogo").neighbourhood == "euclidean"
    config = civil_violence.configure("mesa", vision=3.0, ratio="floor")
    assert (config.vision, config.cop_vision, config.ratio, config.jail) == (3.0, 3.0, "floor", "blocking")
    assert arrest_probability(1, 1, config.k, 0) == pytest.approx(0.8997, abs=1e-4)


def invoke(*argv):
    """The command as mounted in the main CLI, ``morale classic civil-violence``."""
    app = typer.Typer()
    app.add_typer(classic_app, name="classic")
    return CliRunner().invoke(app, ["classic", "civil-violence", *argv])


@pytest.mark.parametrize(
    "argv", [["--width", "-3"], ["--variant", "foo"], ["--citizen-density", "0.9", "--cop-density", "0.2"]]
)
def test_cli_refuses_bad_options_in_one_line(argv):
    result = invoke(*argv)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "error" in result.output.lower()
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_writes_series_plot_and_animation(tmp_path):
    result = invoke(
        "--variant", "netlogo", "--steps", "12", "--width", "15", "--height", "15", "--out", str(tmp_path), "--animate"
    )
    assert result.exit_code == 0, result.output
    series = civil_violence.simulate(12, 0, "netlogo", width=15, height=15)
    written = np.loadtxt(tmp_path / "series.csv", delimiter=",", skiprows=1, dtype=np.int64)
    np.testing.assert_array_equal(written[:, 1:], series.to_numpy())
    assert (tmp_path / "plot.png").stat().st_size > 0
    assert any((tmp_path / name).exists() for name in ("animation.gif", "animation.html"))
