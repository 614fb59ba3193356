"""The transfer rule: another war keeps the behaviour calibrated on Russia 2022+ and sets only its own facts.

A scenario of another war is an out-of-sample test only if what people do (how opinion moves, how a soldier
chooses, how men decide to leave or to protest, how news leaks given a press regime) is carried over unchanged,
and the scenario sets only facts of its country and war: population, conscription law, requirement, pay,
press and exit regimes, discipline regime, combat intensity fitted to the war's deaths. A behavioural
parameter may differ from the source scenario only when its `source` says why, starting with

    "anchor: ..."        a level set once from one anchor value of that war (a poll, a desertion rate)
    "country fact: ..."  a fact of that country that happens to sit among behavioural parameters

`transfer_violations` lists every behavioural parameter that differs without one of these: a test holds every
scenario of another war to an empty list.
"""

from __future__ import annotations

from morale.scenario.schema import Scenario, parameters

SOURCE_SCENARIO = "russia-2022"
OTHER_WARS = ("usa-vietnam-1965", "ussr-afghanistan-1979", "russia-chechnya-1994", "russia-chechnya-1999")
# Behaviour: people's choices and how information travels given the press regime (the regime itself,
# information.censorship, is a fact; so are the state's capacities in opposition: police, courts, jail terms).
BEHAVIOURAL = ("mind.", "opinion.", "emigration.", "opposition.", "recruitment.contract.", "discipline.certainty_",
               "discipline.news_", "information.leak_probability.", "information.lag_weeks.", "information.local_",
               "information.soldier_", "information.censorship_probability_effect",
               "information.censorship_lag_effect")
STATE_FACTS = ("opposition.police_capacity", "opposition.population_per_man", "opposition.arrest_efficiency",
               "opposition.criminal_share", "opposition.criminal_share_violent", "opposition.admin_jail_weeks",
               "opposition.criminal_jail_weeks", "emigration.ban_enforcement", "recruitment.contract.max_age")
MARKS = ("anchor:", "country fact:")


def behavioural(path: str) -> bool:
    return path.startswith(BEHAVIOURAL) and path not in STATE_FACTS


def transfer_violations(scenario: Scenario, source: Scenario) -> list[str]:
    """Behavioural parameters of `scenario` that differ from `source` without an anchor or country-fact source,
    one line each."""
    theirs = parameters(source)
    lines = []
    for path, param in parameters(scenario).items():
        if not behavioural(path) or path not in theirs or param.value == theirs[path].value:
            continue
        if not (param.source or "").strip().lower().startswith(MARKS):
            lines.append(f"{scenario.name}: {path} = {param.value:g}, not {theirs[path].value:g} as in "
                         f"{source.name}; expected the transferred value, or a source starting 'anchor:' or "
                         f"'country fact:'")
    return lines
