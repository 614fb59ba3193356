"""Shared test helpers. Every run a test makes is checked for the conservation identity on every row."""

from __future__ import annotations

import numpy as np
import pytest

import morale

STATUSES = ["civilians", "serving", "emigrated", "imprisoned", "jailed", "dead", "aged_out"]


def assert_conserved(run) -> None:
    """civilians + serving + emigrated + imprisoned + jailed + dead + aged_out == persons_created, each week;
    and `serving` equals the sum of the soldiers_<location> series."""
    s = run.series
    np.testing.assert_allclose(s[STATUSES].sum(axis=1), s["persons_created"], rtol=0, atol=1e-6)
    locations = [c for c in s.columns if c.startswith("soldiers_")]
    np.testing.assert_allclose(s[locations].sum(axis=1), s["serving"], rtol=0, atol=1e-6)


def checked_run(*args, **kwargs):
    """morale.run with the engine's per-week recount on, then the identity on the series."""
    run = morale.run(*args, check=True, **kwargs)
    assert_conserved(run)
    return run


@pytest.fixture(scope="session")
def small_run():
    """The default scenario at a coarse scale, shared by tests that only read it."""
    return checked_run("russia-2022", scale=200, end="2024-12-31")
