"""Conditions: one run marked true or false from its weekly series, for scenario discovery.

Scenario discovery (PRIM, CART over runs) looks for the region of the inputs where runs turn out a given way;
it needs each run marked by a yes/no question the analyst writes, e.g. "did the front fall short of demand in
some week of 2025-2030 while more than 1000 were killed?". A condition compares outcomes, read exactly as
`morale.experiments.outcomes` reads them (same names, dates and windows), or reducers over arithmetic of series,
and combines the comparisons with and/or/not:

    condition  = conjunct { "or" conjunct }
    conjunct   = negation { "and" negation }
    negation   = "not" negation | "(" condition ")" | comparison | NAMED
    comparison = term OP term { OP term }                   OP: < <= > >= == !=  (a < b < c as in Python)
    term       = NUMBER | outcome | REDUCER "(" arithmetic [ "," WINDOW ] ")"
    outcome    = X | X@DATE | REDUCER(X[, WINDOW])          as in outcomes.py: a flow's bare X is its total
    arithmetic = series names and numbers with + - * / and parentheses, computed week by week
    REDUCER    = sum | mean | max | min
    WINDOW     = YEAR | START:END                           years or YYYY-MM-DD; either side may be empty
    NUMBER     = 1000 | -50_000 | 5e4 | 0.25
    NAMED      = a key of NAMED, e.g. requirement_failed

    killed@2025-12-31 > 500_000
    min(soldiers_front - front_demand, 2025:2030) < 0 and not requirement_failed
    mean(recruits_contract / recruits, 2022-09-21:2023-03-31) >= 0.5 or max(killed) > 5e4

Arithmetic outside a reducer is refused: a term is one number per run. The text is read with Python's `ast`
after windows and X@DATE (not Python) are swapped for placeholder names; only the node types above are
accepted and nothing is `eval`-ed. A week dividing by zero is NaN; a comparison with NaN is false.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import difflib
import math
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from morale.experiments.outcomes import REDUCERS, Outcome, OutcomeError, check_outcome_dates, parse_outcome

# name -> (condition, what it means)
NAMED = {
    "requirement_failed": ("max(requirement_failed) >= 1",
                           "the front requirement failed (13 consecutive weeks short of it) in some week of the run"),
}

EXAMPLE = "min(soldiers_front - front_demand, 2025:2030) < 0"
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_APPLY = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
          "!=": operator.ne, "+": operator.add, "-": operator.sub, "*": operator.mul}
_WINDOW = re.compile(r",([^,()]*)\)")  # a call's last argument after a comma: only a reducer's window
_AT = re.compile(r"\b([A-Za-z0-9_]+)\s*@\s*([\w-]*)")


class ConditionError(OutcomeError):
    """A condition that cannot be read or checked, said in one line."""


@dataclass(frozen=True)
class Condition:
    """A parsed condition: `text` as given (stripped); `tree` what it tests, `reads` the series it reads,
    `outcomes` its terms as outcomes (their dates and windows)."""

    text: str
    tree: tuple = field(repr=False)
    reads: tuple[str, ...] = field(repr=False)
    outcomes: tuple[Outcome, ...] = field(repr=False)

    def evaluate(self, series: pd.DataFrame, kinds: dict[str, str]) -> bool:
        """Whether one run's weekly series (DatetimeIndex) meet the condition; `kinds`: series -> stock|flow|mean."""
        if missing := [name for name in self.reads if name not in series.columns]:
            raise ConditionError(f"condition {self.text!r}: the run has no series {', '.join(missing)}; expected "
                                 f"the series it reads: {', '.join(self.reads)}")
        return _holds(self.tree, series, kinds)

    def series_names(self) -> list[str]:
        return list(self.reads)

    def check_dates(self, start: dt.date, end: dt.date) -> None:
        """Every date and window within the run's span start..end, as `check_outcome_dates` holds outcomes."""
        try:
            check_outcome_dates(list(self.outcomes), start, end)
        except OutcomeError as error:
            raise ConditionError(f"condition {self.text!r}: {error}") from None


def parse_condition(text: str, known: list[str] | None = None) -> Condition:
    """Read a condition; `known` is the list of valid series (default: the registered series)."""
    if known is None:
        from morale.engine.recorder import SERIES

        known = list(SERIES)
    whole = text.strip()
    if not whole:
        raise ConditionError(f"condition {text!r}: empty; expected a comparison, e.g. {EXAMPLE}")
    reader = _Reader(whole, known)
    tree = reader.read()
    return Condition(whole, tree, tuple(reader.reads), tuple(reader.outcomes))


def mark_runs(condition: Condition, runs: Iterable[tuple[str, pd.DataFrame]], kinds: dict[str, str]) -> pd.Series:
    """The condition for each (key, weekly series) run: a bool Series indexed by key, named by the condition."""
    return pd.Series({key: condition.evaluate(series, kinds) for key, series in runs}, dtype=bool,
                     name=condition.text)


class _Reader:
    """Turns one condition's Python syntax tree into the tuples `_holds` evaluates, refusing everything else."""

    def __init__(self, whole: str, known: list[str]):
        self.whole, self.known = whole, known
        self.tag = "_p"  # placeholder prefix, absent from the text, so no name the user wrote can be one
        while self.tag in whole:
            self.tag += "p"
        self.held: dict[str, tuple[str, str]] = {}  # placeholder -> ("window" | "at", original text)
        self.reads: dict[str, None] = {}
        self.outcomes: list[Outcome] = []
        one_line = " ".join(whole.splitlines())
        self.source = _AT.sub(lambda m: self.hold("at", f"{m[1]}@{m[2]}"),
                              _WINDOW.sub(lambda m: f", {self.hold('window', m[1].strip())})", one_line))

    def hold(self, kind: str, original: str) -> str:
        placeholder = f"{self.tag}{len(self.held)}"
        self.held[placeholder] = (kind, original)
        return placeholder

    def restore(self, text: str) -> str:
        return re.sub(rf"{self.tag}\d+", lambda m: self.held[m[0]][1], text)

    def part(self, node: ast.AST) -> str:
        return self.restore(ast.get_source_segment(self.source, node) or "")

    def error(self, message: str) -> ConditionError:
        return ConditionError(f"condition {self.whole!r}: {message}")

    def outcome(self, text: str, known: list[str]) -> Outcome:
        try:
            return parse_outcome(text, known)
        except OutcomeError as error:
            raise self.error(str(error).removeprefix(f"outcome {text!r}: ")) from None

    def read(self) -> tuple:
        try:
            tree = ast.parse(self.source, mode="eval").body
        except SyntaxError as error:
            opened, closed = self.whole.count("("), self.whole.count(")")
            if opened != closed:
                raise self.error(f"{opened} '(' but {closed} ')'; expected parentheses in pairs") from None
            at = (error.offset or 0) - 1
            if not 0 <= at < len(self.source):
                raise self.error(f"it ends too early; expected a comparison, e.g. {EXAMPLE}") from None
            raise self.error(f"cannot read it from {self.restore(self.source[at:]).strip()!r} on; expected "
                             f"comparisons joined by and/or/not, e.g. {EXAMPLE}") from None
        return self.condition(tree)

    def condition(self, node: ast.expr) -> tuple:
        if isinstance(node, ast.BoolOp):
            return ("and" if isinstance(node.op, ast.And) else "or", tuple(self.condition(v) for v in node.values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ("not", self.condition(node.operand))
        if isinstance(node, ast.Compare):
            if any(type(op) not in _COMPARE for op in node.ops):
                raise self.error(f"unexpected comparison in {self.part(node)!r}; expected one of < <= > >= == !=")
            terms = tuple(self.term(term) for term in [node.left, *node.comparators])
            return ("compare", terms, tuple(_COMPARE[type(op)] for op in node.ops))
        if isinstance(node, ast.Name) and node.id in NAMED:
            named = parse_condition(NAMED[node.id][0], self.known)
            self.reads.update(dict.fromkeys(named.reads))
            self.outcomes.extend(named.outcomes)
            return named.tree
        if isinstance(node, ast.Name) and node.id not in self.known and node.id not in self.held:
            hint = difflib.get_close_matches(node.id, list(NAMED), n=1)
            raise self.error(f"no named condition '{node.id}'; expected a comparison or one of {', '.join(NAMED)}"
                             + (f"; did you mean '{hint[0]}'?" if hint else ""))
        raise self.error(f"{self.part(node)!r} is not a condition; expected a comparison (e.g. {EXAMPLE}) or "
                         f"a named condition: {', '.join(NAMED)}")

    def term(self, node: ast.expr) -> float | Outcome | tuple[Outcome, object]:
        if (number := _number(node)) is not None:
            return number
        if isinstance(node, ast.Name):
            outcome = self.outcome(self.held.get(node.id, ("", node.id))[1], self.known)
            self.reads[outcome.name] = None
            self.outcomes.append(outcome)
            return outcome
        if isinstance(node, ast.Call):
            return self.reduction(node)
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            raise self.error(f"arithmetic outside a reducer: {self.part(node)!r}; expected a reducer over it, e.g. "
                             f"min({self.part(node)})")
        raise self.error(f"unexpected {self.part(node)!r}; expected a number or an outcome: X, X@DATE or "
                         f"sum|mean|max|min(...)")

    def reduction(self, node: ast.Call) -> tuple[Outcome, object]:
        fn = node.func.id if isinstance(node.func, ast.Name) else self.part(node.func)
        if fn not in REDUCERS:
            hint = difflib.get_close_matches(fn, REDUCERS, n=1)
            raise self.error(f"unknown function '{fn}'; expected one of {', '.join(REDUCERS)}"
                             + (f"; did you mean '{hint[0]}'?" if hint else ""))
        args = node.args
        if (node.keywords or not 1 <= len(args) <= 2
                or len(args) == 2 and self.held.get(getattr(args[1], "id", ""), ("",))[0] != "window"):
            raise self.error(f"cannot read {self.part(node)!r}; expected {fn}(SERIES ARITHMETIC[, YEAR|START:END])")
        weekly = self.arithmetic(args[0])
        window = self.held[args[1].id][1] if len(args) == 2 else None
        if window == "":
            raise self.error(f"empty window in {self.part(node)!r}; expected a year or START:END after the comma")
        outcome = self.outcome(f"{fn}({self.tag}" + (f", {window})" if window else ")"), [self.tag])
        outcome = dataclasses.replace(outcome, text=self.part(node))  # the column stays the placeholder
        self.outcomes.append(outcome)
        return outcome, weekly

    def arithmetic(self, node: ast.expr) -> float | str | tuple:
        if (number := _number(node)) is not None:
            return number
        if isinstance(node, ast.Name) and node.id not in self.held:
            self.reads[self.outcome(node.id, self.known).name] = None
            return node.id
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return _ARITHMETIC[type(node.op)], self.arithmetic(node.left), self.arithmetic(node.right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return "-", 0.0, self.arithmetic(node.operand)
        raise self.error(f"unexpected {self.part(node)!r} in a reducer; expected series and numbers with + - * / "
                         f"and parentheses")


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _number(node.operand)
        return None if inner is None else -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    return None


def _holds(node: tuple, series: pd.DataFrame, kinds: dict[str, str]) -> bool:
    if node[0] == "and":
        return all(_holds(child, series, kinds) for child in node[1])
    if node[0] == "or":
        return any(_holds(child, series, kinds) for child in node[1])
    if node[0] == "not":
        return not _holds(node[1], series, kinds)
    _, terms, ops = node
    values = [_value(term, series, kinds) for term in terms]
    return all(not (math.isnan(a) or math.isnan(b)) and bool(_APPLY[op](a, b))
               for a, op, b in zip(values, ops, values[1:]))


def _value(term: float | Outcome | tuple, series: pd.DataFrame, kinds: dict[str, str]) -> float:
    if isinstance(term, float):
        return term
    if isinstance(term, Outcome):
        return term.evaluate(series, kinds)
    outcome, arithmetic = term
    weekly = np.broadcast_to(_weekly(arithmetic, series), len(series.index))
    return outcome.evaluate(pd.DataFrame({outcome.name: weekly}, index=series.index), kinds)


def _weekly(arithmetic: float | str | tuple, series: pd.DataFrame) -> float | np.ndarray:
    if isinstance(arithmetic, float):
        return arithmetic
    if isinstance(arithmetic, str):
        return series[arithmetic].to_numpy(dtype=float)
    op, left, right = arithmetic
    a, b = _weekly(left, series), _weekly(right, series)
    if op != "/":
        return _APPLY[op](a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.equal(b, 0), np.nan, np.divide(a, b))
