"""The transfer rule: scenarios of other wars keep russia-2022's behaviour and set only their own facts."""

from __future__ import annotations

import pytest

import morale
from morale.scenario.transfer import OTHER_WARS, SOURCE_SCENARIO, behavioural, transfer_violations

SOURCE = morale.load_scenario(SOURCE_SCENARIO)


@pytest.mark.parametrize("name", OTHER_WARS)
def test_other_wars_keep_the_behaviour_of_the_source_scenario(name):
    assert transfer_violations(morale.load_scenario(name), SOURCE) == []


def changed(source_text: str) -> morale.Scenario:
    return morale.load_scenario({"extends": SOURCE_SCENARIO, "name": "probe",
                                 "mind": {"refuse_constant": {"value": -4.0, "source": source_text}},
                                 "information": {"censorship": {"value": 0.1, "source": "a press regime"}}})


def test_a_behavioural_change_without_a_reason_is_a_violation_and_a_fact_is_not():
    (line,) = transfer_violations(changed("tuned to fit"), SOURCE)
    assert "mind.refuse_constant = -4, not -5" in line and "anchor:" in line
    assert transfer_violations(changed("anchor: one desertion rate of that war"), SOURCE) == []
    assert not behavioural("information.censorship") and behavioural("information.lag_weeks.deaths")
    assert behavioural("opinion.baseline") and not behavioural("opposition.police_capacity")
