"""Prometheus alerting rules, read into a scenario's ``monitoring`` and written back.

A rules file is ``groups[].rules[]`` (Prometheus's ``rulefmt``), or the same groups
under ``spec`` of a Kubernetes ``PrometheusRule``. Each alerting rule's ``expr`` is
parsed with promql-parser (a PromQL parser in Rust; this package is the one that
imports it) and a threshold comparison over a metric becomes an :class:`AlertRule`:

- the **signal** is the compared expression as Prometheus prints it (``rate(x[5m])``,
  ``sum by (job)(…) / sum by (job)(…)``), so a scenario's inject names exactly what
  Prometheus would evaluate; a bare metric is its name;
- ``>`` / ``<`` are ``above`` / ``below``; ``>=`` / ``<=`` are read as strict (noted);
  ``== 0`` over a whole-valued series (``up``, ``count(…)``, ``absent(…)``) is
  ``below: 1``; ``absent(…)`` alone is ``above: 0`` (it returns 1 or nothing);
- ``A and B`` / ``A unless B`` become the rule on ``A`` with a note that ``B`` is not
  modelled; ``or``, comparisons of two series, ``bool``, bare series, a bare number
  (``expr: 12``) and a threshold that is not finite (``> 1e400``, +Inf) are not
  translated, each with the reason.

``for`` and the group's ``interval`` are ``for`` and ``every``; ``labels.severity``
lands on a team's levels by :mod:`scenarios.severity_map`. Everything a rule holds that
drillbit's rule has no place for is listed, never dropped silently. Fields of drillbit's
rule that Prometheus has no place for travel as ``drillbit_*`` annotations (and the
``drillbit_routed`` label), so an export re-imports to the same rules.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import promql_parser
import yaml
from pydantic import BeforeValidator, Field, ValidationError, model_validator

from .base import Model
from .durations import format_duration
from .errors import DrillbitError, InputError, Problem, format_path
from .loader import build
from .scenario import AlertRule, Scenario
from .severity_map import map_severity
from .team import Team
from .yamlsource import Document, read_yaml

Path_ = tuple[str | int, ...]

# Prometheus's own duration grammar (common/model ParseDuration): whole numbers, units
# largest first. promql-parser reads the text; the grammar keeps out what Prometheus
# refuses (a bare 10) and lets in what it accepts (0s).
_PROM_DURATION = re.compile(r"(?:[0-9]+y)?(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?")
_PROM_UNITS = (("d", 86400_000), ("h", 3600_000), ("m", 60_000), ("s", 1000), ("ms", 1))

#: Prometheus's default ``evaluation_interval``: a group without ``interval`` uses it.
DEFAULT_INTERVAL = 60.0
#: Prefix of the annotations (and the label) that carry drillbit's own fields.
OWN = "drillbit_"


class PrometheusRulesError(DrillbitError):
    """A scenario whose rules cannot be written as Prometheus rules."""


def _prom_duration(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # Prometheus reads `for: 10` as the text "10", and refuses it
    if not isinstance(value, str):
        return value  # pydantic says what it expected
    text = value.strip()
    if text == "0":
        return 0.0  # the one duration without a unit that Prometheus takes
    if not text or not _PROM_DURATION.fullmatch(text):
        raise ValueError(f"expected a Prometheus duration such as '30s', '5m' or '1h30m' (whole numbers, "
                         f"units y w d h m s ms, largest first), got {value!r}")
    if not any(c in "123456789" for c in text):
        return 0.0
    return promql_parser.parse_duration(text).total_seconds()


PromDuration = Annotated[float, BeforeValidator(_prom_duration)]


class PromRule(Model):
    """One rule of a group: an alerting rule (``alert``) or a recording rule (``record``)."""

    alert: str | None = Field(None, min_length=1)
    record: str | None = Field(None, min_length=1)
    expr: str = Field(min_length=1)
    for_: PromDuration = Field(0.0, alias="for")
    keep_firing_for: PromDuration = 0.0
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _kind(self) -> "PromRule":
        if (self.alert is None) == (self.record is None):
            raise ValueError("expected exactly one of 'alert' (an alerting rule) or 'record' (a recording rule)")
        if self.record is not None and (self.for_ or self.keep_firing_for or self.annotations):
            raise ValueError("a recording rule ('record') has no 'for', 'keep_firing_for' or 'annotations'")
        return self


class PromGroup(Model):
    """A rule group: evaluated together every ``interval``."""

    name: str = Field(min_length=1)
    interval: PromDuration | None = None
    limit: int | None = None
    query_offset: PromDuration | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    rules: list[PromRule] = Field(default_factory=list)


class RulesFile(Model):
    """A Prometheus rules file (``rule_files:`` in prometheus.yml)."""

    groups: list[PromGroup]


class _Metadata(Model):
    name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class PrometheusRuleResource(Model):
    """The Prometheus Operator's ``PrometheusRule`` (kube-prometheus): the same groups under ``spec``."""

    api_version: str = Field(alias="apiVersion")
    kind: Literal["PrometheusRule"]
    metadata: _Metadata = Field(default_factory=_Metadata)
    spec: RulesFile


Status = Literal["translated", "approximated", "not-translated", "skipped"]


@dataclass(frozen=True)
class RuleOutcome:
    """What became of one rule of the file: ``status`` and the notes that say why,
    each positioned in the file; ``rule`` is the drillbit rule (translated or
    approximated), ``left_out`` the labels and annotations it had no place for."""

    group: str
    name: str
    kind: Literal["alert", "record"]
    line: int
    col: int
    expr: str
    status: Status
    notes: tuple[Problem, ...] = ()
    rule: AlertRule | None = None
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class Imported:
    """The rules of one file as drillbit's monitoring, and what became of each."""

    file: str
    outcomes: tuple[RuleOutcome, ...]
    notes: tuple[Problem, ...] = ()  # about the file as a whole (a group's interval, a --scenario check)
    unmapped: tuple[str, ...] = ()  # severity labels the team's levels do not take

    @property
    def monitoring(self) -> list[AlertRule]:
        """The drillbit rules, in the file's order."""
        return [o.rule for o in self.outcomes if o.rule is not None]


class _Untranslatable(Exception):
    """An expression that is no threshold over a metric; the message says why."""


@dataclass
class _Reading:
    signal: str
    above: float | None = None
    below: float | None = None
    caveats: list[str] = field(default_factory=list)
    service: str | None = None


def import_rules(path: str | Path, *, team: Team | None = None, scenario: Scenario | None = None,
                 display: str | None = None) -> Imported:
    """Read the Prometheus rules file at ``path`` into drillbit alert rules.

    ``team`` maps ``labels.severity`` onto its levels (one no rule maps is left out and
    noted); ``scenario`` checks each rule's service against its services and notes
    signals none of its injects sends. Raises InputError with every problem of a file
    that is not a rules file (YAML, unknown keys, a duration, a PromQL syntax error),
    each at its ``file:line:col``."""
    doc = read_yaml(path, display)
    base = _base(doc)
    parsed, errors = _parse_exprs(doc, base)
    errors += _repeated_groups(doc, base)
    try:
        top = build(doc, PrometheusRuleResource if base[0] == "spec" else RulesFile)
    except InputError as exc:
        errors += exc.problems
    if errors:
        raise InputError(errors)
    groups = top.spec.groups if isinstance(top, PrometheusRuleResource) else top.groups
    outcomes: list[RuleOutcome] = []
    names: set[str] = set()
    unmapped: dict[str, None] = {}
    notes: list[Problem] = []
    for gi, group in enumerate(groups):
        if group.interval == 0:
            # Prometheus's rule manager takes a zero interval as none: the global evaluation_interval
            notes.append(doc.problem((*base, gi, "interval"), f"group {group.name}: interval 0s is no interval: "
                                     "Prometheus evaluates the group every evaluation_interval, read as every: "
                                     f"{format_duration(DEFAULT_INTERVAL)} (its default)"))
        for ri, rule in enumerate(group.rules):
            at = (*base, gi, "rules", ri)
            outcome = _outcome(doc, at, group, rule, parsed[(*at, "expr")], team, scenario, names)
            if outcome.rule is not None:
                names.add(outcome.rule.alert)
                label = {**group.labels, **rule.labels}.get("severity")
                if label and outcome.rule.severity is None:
                    unmapped[label] = None
            outcomes.append(outcome)
    return Imported(doc.file, tuple(outcomes), tuple(notes + _scenario_notes(doc, outcomes, scenario)),
                    tuple(unmapped))


def _base(doc: Document) -> Path_:
    """Where the groups are: ``groups`` of a rules file, ``spec.groups`` of a PrometheusRule."""
    data = doc.data
    if isinstance(data, dict) and "groups" not in data:
        if "kind" in data or "spec" in data:
            return ("spec", "groups")
        raise InputError([doc.problem((), "expected a Prometheus rules file: 'groups:' with each group's 'name' and "
                                          "'rules' (or a PrometheusRule with 'spec: {groups: …}'), found keys "
                                          + ", ".join(repr(k) for k in list(data)[:5]))])
    return ("groups",)


def _raw_groups(doc: Document, base: Path_) -> list[tuple[int, dict[str, Any]]]:
    """The groups as written (index, mapping), before validation: so that PromQL and
    repeated names are checked in the same pass as everything else."""
    data: Any = doc.data
    for part in base:
        data = data.get(part) if isinstance(data, dict) else None
    return [(i, g) for i, g in enumerate(data) if isinstance(g, dict)] if isinstance(data, list) else []


def _parse_exprs(doc: Document, base: Path_) -> tuple[dict[Path_, Any], list[Problem]]:
    parsed: dict[Path_, Any] = {}
    errors: list[Problem] = []
    for gi, group in _raw_groups(doc, base):
        rules = group.get("rules")
        for ri, rule in enumerate(rules if isinstance(rules, list) else []):
            expr = rule.get("expr") if isinstance(rule, dict) else None
            if isinstance(expr, (int, float)) and not isinstance(expr, bool):
                expr = str(expr)  # `expr: 12` is the text "12" to Prometheus, as to the model
            if not isinstance(expr, str):
                continue  # validation names what is missing or mistyped
            where = (*base, gi, "rules", ri, "expr")
            try:
                parsed[where] = promql_parser.parse(expr)
            except ValueError as exc:
                # promql-parser reports no position inside the expression: the expr's own is given
                errors.append(doc.problem(where, f"not valid PromQL: {exc} (in {_short(expr)})"))
    return parsed, errors


def _repeated_groups(doc: Document, base: Path_) -> list[Problem]:
    seen: dict[str, int] = {}
    out = []
    for gi, group in _raw_groups(doc, base):
        name = group.get("name")
        if not isinstance(name, str):
            continue
        if name in seen:
            out.append(doc.problem((*base, gi, "name"), f"group '{name}' is defined twice (first at "
                                   f"{format_path((*base, seen[name]))}); Prometheus refuses a file that repeats a group name"))
        seen.setdefault(name, gi)
    return out


def _outcome(doc: Document, at: Path_, group: PromGroup, rule: PromRule, node: Any, team: Team | None,
             scenario: Scenario | None, taken: set[str]) -> RuleOutcome:
    line, col = doc.position(at)
    name = rule.alert or rule.record or ""
    common = dict(group=group.name, name=name, line=line, col=col, expr=rule.expr)
    if rule.record is not None:
        return RuleOutcome(**common, kind="record", status="skipped", notes=(doc.problem(
            (*at, "record"), f"recording rule {name} skipped: it computes a series and alerts nobody "
                             "(an alert that uses it names it in its own expr)"),))
    notes: list[Problem] = []
    try:
        reading = _read(node)
    except _Untranslatable as why:
        return RuleOutcome(**common, kind="alert", status="not-translated",
                           notes=(doc.problem((*at, "expr"), f"alert {name} not translated: {why}"),))
    notes += [doc.problem((*at, "expr"), f"alert {name}: {c}") for c in reading.caveats]
    labels = {**group.labels, **rule.labels}
    fields: dict[str, Any] = {"alert": _free_name(name, labels.get("severity"), taken), "signal": reading.signal,
                              "for": rule.for_, "every": group.interval or DEFAULT_INTERVAL}
    if fields["alert"] != name:
        notes.append(doc.problem((*at, "alert"), f"alert {name} is defined more than once in this file; drillbit names "
                                                 f"each rule of a scenario once, so this one is '{fields['alert']}'"))
    fields.update({"above": reading.above} if reading.above is not None else {"below": reading.below})
    if rule.keep_firing_for:
        notes.append(doc.problem((*at, "keep_firing_for"), f"alert {name}: keep_firing_for "
                                 f"{format_duration(rule.keep_firing_for)} is not modelled: in the drill the alert resolves "
                                 "as soon as its condition stops holding"))
    severity = labels.get("severity")
    if severity:
        level, problem = _severity(severity, team)
        if level:
            fields["severity"] = level
        if problem:
            notes.append(doc.problem((*at, "labels", "severity"), f"alert {name}: {problem}"))
    # an empty label is no label in Prometheus: `service: ""` says the rule has none
    service = None if labels.get("service") == "" else labels.get("service") or labels.get("job") or reading.service
    if service:
        if scenario is None or service in scenario.services:
            fields["service"] = service
        else:
            notes.append(doc.problem(at, f"alert {name}: service '{service}' is not one of the scenario's services "
                                         f"({', '.join(scenario.services)}); the rule is left without one"))
    if labels.get(f"{OWN}routed") == "false":
        fields["routed"] = False
    fields.update(_own_annotations(rule.annotations))
    try:
        translated = AlertRule.model_validate(fields)
    except ValidationError as exc:
        wrong = "; ".join(f"{format_path(e['loc']) or 'rule'}: {e['msg'].removeprefix('Value error, ')}"
                          for e in exc.errors(include_url=False))
        return RuleOutcome(**common, kind="alert", status="not-translated",
                           notes=(doc.problem(at, f"alert {name} not translated: {wrong}"),))
    left_out = tuple([f"labels.{k}" for k in labels if k not in ("severity", "service", "job", f"{OWN}routed")]
                     + [f"annotations.{k}" for k in rule.annotations if not k.startswith(OWN)])
    status: Status = "approximated" if reading.caveats or rule.keep_firing_for else "translated"
    return RuleOutcome(**common, kind="alert", status=status, notes=tuple(sorted(notes)), rule=translated,
                       left_out=left_out)


def _free_name(name: str, severity: str | None, taken: set[str]) -> str:
    if name not in taken:
        return name
    for candidate in ([f"{name}-{severity}"] if severity else []) + [f"{name}-{n}" for n in range(2, len(taken) + 3)]:
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable: more candidates than names taken")


def _severity(written: str, team: Team | None) -> tuple[str | None, str | None]:
    """(the level to write, a note) for a ``severity`` label."""
    if team is None:
        return written, None
    mapped = map_severity(written, list(team.severity), team.severity_map)
    if mapped is None:
        return None, (f"severity '{written}' is not one of team {team.team}'s levels ({', '.join(team.severity)}) "
                      "nor in its severity_map; left out, so the rule takes the scenario's severity")
    return mapped.level, None if mapped.how == "same" else f"severity {mapped.describe()}"


def _own_annotations(annotations: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("sensitivity", "false_positives_per_week"):
        if f"{OWN}{key}" in annotations:
            out[key] = annotations[f"{OWN}{key}"]  # validated (and refused) as the rule's own field
    if f"{OWN}depends_on" in annotations:
        out["depends_on"] = [s.strip() for s in annotations[f"{OWN}depends_on"].split(",") if s.strip()]
    return out


def _scenario_notes(doc: Document, outcomes: list[RuleOutcome], scenario: Scenario | None) -> list[Problem]:
    if scenario is None:
        return []
    sent = {i.signal.metric for i in scenario.injects if i.signal is not None and i.signal.metric}
    return [Problem(doc.file, o.line, o.col, "", f"alert {o.rule.alert}: no inject of scenario {scenario.id} sends "
                                                f"signal {o.rule.signal!r}, so in that drill the rule never fires")
            for o in outcomes if o.rule is not None and o.rule.signal not in sent]


# -- reading an expression ------------------------------------------------------------

_COMPARISONS = {">", "<", ">=", "<=", "==", "!="}
_FLIPPED = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}
#: Functions and aggregations whose values are whole numbers of 0 or more.
_WHOLE = {"absent", "absent_over_time", "changes", "resets", "count", "count_values", "present_over_time"}
#: Those of them that return no series, never a 0, when nothing matches.
_NEVER_ZERO = {"absent", "absent_over_time", "count", "count_values", "present_over_time"}


def _read(node: Any) -> _Reading:
    node = _unwrap(node)
    if _number(node) is not None:
        raise _Untranslatable(_BARE_NUMBER)
    if isinstance(node, promql_parser.BinaryExpr):
        op = str(node.op)
        if op in ("and", "unless"):
            reading = _read(node.lhs)
            matching = f"{node.modifier} " if node.modifier is not None and str(node.modifier) else ""
            rhs = f"{op} {matching}{signal_text(node.rhs)}"
            reading.caveats.append(
                f"'{_short(rhs)}' is not modelled: drillbit's rule fires on its first condition alone"
                + (" (Prometheus also needs the second to hold)" if op == "and" else
                   " (Prometheus stays quiet while the second returns a series)"))
            return reading
        if op == "or":
            raise _Untranslatable("'or' joins two conditions, either of which fires it; drillbit's rule watches one "
                                  "condition: write one alert for each side")
        if op in _COMPARISONS:
            return _comparison(node, op)
        raise _Untranslatable(f"the expression is arithmetic ('{op}') with no comparison with a number; drillbit's "
                              "rule needs a threshold (add one, as in '… > 0.05')")
    if isinstance(node, promql_parser.Call) and node.func.name in ("absent", "absent_over_time"):
        # absent() returns 1 when the series is missing and nothing otherwise
        return _Reading(signal_text(node), above=0.0, service=_service(node))
    if isinstance(node, promql_parser.Call) and node.func.name == "vector":
        raise _Untranslatable("there is no comparison with a number, and vector(…) always returns a series: the "
                              "alert always fires (a Watchdog, which says that alerting works; no drill changes it)")
    raise _Untranslatable("there is no comparison with a number: Prometheus fires whenever the expression returns "
                          "a series, whatever its value; drillbit's rule needs a threshold (as in '… > 0')")


_BARE_NUMBER = ("a bare number never compares: there is no metric to watch (Prometheus returns the number as one "
                "sample at every evaluation, so the alert always fires)")


def _comparison(node: Any, op: str) -> _Reading:
    if node.modifier is not None and node.modifier.return_bool:
        raise _Untranslatable(f"'{op} bool' returns 0 or 1 for every series, so the alert would fire at every "
                              "evaluation; drop 'bool' to compare")
    left, right = _number(node.lhs), _number(node.rhs)
    if left is None and right is None:
        raise _Untranslatable(f"it compares two series ({_short(signal_text(node.lhs))} {op} "
                              f"{_short(signal_text(node.rhs))}); drillbit's threshold is a number")
    if left is not None and right is not None:
        raise _Untranslatable(f"it compares two numbers ({left:g} {op} {right:g}): there is no metric to watch")
    if left is not None:
        op, value, series = _FLIPPED[op], left, node.rhs
    else:
        value, series = right, node.lhs
    if not math.isfinite(value):
        never = math.isnan(value) or (value > 0) == (op in (">", ">="))
        raise _Untranslatable(f"its threshold '{op} {value:g}' is not a finite number, so Prometheus "
                              + ("never fires it" if never else "fires it on every finite value")
                              + "; drillbit's threshold is a finite number")
    signal = signal_text(series)
    reading = _Reading(signal, service=_service(series))
    if op in (">", ">="):
        reading.above = value
    elif op in ("<", "<="):
        reading.below = value
    elif op == "==" and value == 0 and _whole(series):
        reading.below = 1.0  # whole values of 0 or more: == 0 is < 1
    else:
        raise _Untranslatable(f"'{op} {value:g}' fires on {'one exact value' if op == '==' else 'every value but one'}; "
                              "drillbit's rule compares with a threshold (above or below)")
    if op in (">=", "<=") and value.is_integer() and _whole(series):
        # whole values: >= n is > n - 1, and <= n is < n + 1
        reading.above, reading.below = (value - 1, None) if op == ">=" else (None, value + 1)
    elif op in (">=", "<="):
        strict = ">" if op == ">=" else "<"
        reading.caveats.append(f"'{op} {value:g}' is read as '{strict} {value:g}': drillbit's thresholds are strict, "
                               f"so a value of exactly {value:g} does not fire in the drill (inject one "
                               f"{'above' if op == '>=' else 'below'} it)")
    never_zero = _never_zero(series)
    if reading.below is not None and reading.below > 0 and never_zero:
        # count(x) == 0 is a classic rule that never fires: with nothing to count there is no series
        reading.caveats.append(
            f"{never_zero}() never returns 0 (it returns no series instead), so Prometheus "
            + ("never fires this alert; the drill fires it on an injected 0 (absent(…) alerts on a missing series)"
               if reading.below <= 1 else
               f"does not fire at 0, which the drill's 'below: {reading.below:g}' includes"))
    return reading


def _unwrap(node: Any) -> Any:
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return node


def _number(node: Any) -> float | None:
    """The value of a scalar made of number literals (``2 * 60``), or None."""
    node = _unwrap(node)
    if isinstance(node, promql_parser.NumberLiteral):
        return float(node.val)
    if isinstance(node, promql_parser.UnaryExpr):
        inner = _number(node.expr)
        return None if inner is None else -inner
    if isinstance(node, promql_parser.BinaryExpr):
        a, b, op = _number(node.lhs), _number(node.rhs), str(node.op)
        if a is None or b is None:
            return None
        try:
            return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                    "%": lambda: math.fmod(a, b), "^": lambda: a ** b}[op]()
        except KeyError:
            return None
        except ZeroDivisionError:  # PromQL follows IEEE 754: 1/0 is +Inf, 0/0 and 1%0 are NaN
            return math.copysign(math.inf, a) if op == "/" and a and not math.isnan(a) else math.nan
        except OverflowError:
            return math.inf
        except ValueError:
            return math.nan
    return None


def _whole(node: Any) -> bool:
    node = _unwrap(node)
    if isinstance(node, promql_parser.VectorSelector):
        return _selector_name(node) == "up"
    if isinstance(node, promql_parser.Call):
        return node.func.name in _WHOLE
    if isinstance(node, promql_parser.AggregateExpr):
        return str(node.op) in _WHOLE
    return False


def _never_zero(node: Any) -> str | None:
    """The function or aggregation of ``node`` that returns nothing rather than 0, if it is one."""
    node = _unwrap(node)
    name = node.func.name if isinstance(node, promql_parser.Call) else \
        str(node.op) if isinstance(node, promql_parser.AggregateExpr) else None
    return name if name in _NEVER_ZERO else None


def _service(node: Any) -> str | None:
    """The ``service`` (else ``job``) every selector of ``node`` matches exactly, if one."""
    found: dict[str, set[str]] = {"service": set(), "job": set()}
    selectors = 0

    def visit(n: Any) -> None:
        nonlocal selectors
        if isinstance(n, promql_parser.VectorSelector):
            selectors += 1
            for m in n.matchers.matchers:
                if m.name in found and str(m.op) in ("MatchOp.Equal", "="):
                    found[m.name].add(m.value)

    promql_parser.walk(node, visit)
    for label in ("service", "job"):
        if len(found[label]) == 1 and selectors:
            return next(iter(found[label]))
    return None


def _selector_name(node: Any) -> str | None:
    if node.name:
        return node.name
    names = [m.value for m in node.matchers.matchers if m.name == "__name__" and str(m.op) in ("MatchOp.Equal", "=")]
    return names[0] if names else None


_EMPTY_BRACES = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`|\{\}')


def signal_text(node: Any) -> str:
    """A PromQL expression as drillbit names the signal it watches: Prometheus's own
    printing, without the empty ``{}`` it adds to bare selectors; a selector of one
    metric alone (``up``, ``{__name__="api.error_rate"}``) is the metric's name."""
    node = _unwrap(node)
    if isinstance(node, promql_parser.VectorSelector) and node.offset is None and node.at is None:
        name = _selector_name(node)
        others = [m for m in node.matchers.matchers if m.name != "__name__"]
        if name and not others and not node.matchers.or_matchers:
            return name
    return _EMPTY_BRACES.sub(lambda m: "" if m.group() == "{}" else m.group(), str(node))


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- writing ------------------------------------------------------------------------------

def monitoring_fields(rule: AlertRule) -> dict[str, Any]:
    """A rule as the scenario YAML writes it: its fields in the README's order, the
    defaults left out, durations as ``2m``."""
    out: dict[str, Any] = {"alert": rule.alert}
    out.update({"signal": rule.signal} if rule.signal is not None else {"on": rule.on})
    if rule.source is not None:
        out["source"] = rule.source
    for key in ("above", "below"):
        value = getattr(rule, key)
        if value is not None:
            out[key] = int(value) if value.is_integer() and abs(value) < 1e15 else value
    if rule.for_:
        out["for"] = format_duration(rule.for_)
    if rule.every != DEFAULT_INTERVAL:
        out["every"] = format_duration(rule.every)
    for key in ("severity", "service"):
        if getattr(rule, key) is not None:
            out[key] = getattr(rule, key)
    if not rule.routed:
        out["routed"] = False
    if rule.sensitivity != 1.0:
        out["sensitivity"] = rule.sensitivity
    if rule.false_positives_per_week:
        out["false_positives_per_week"] = rule.false_positives_per_week
    if rule.depends_on:
        out["depends_on"] = list(rule.depends_on)
    return out


def monitoring_yaml(rules: list[AlertRule], header: str = "") -> str:
    """The ``monitoring:`` section of a scenario, one flow mapping a rule (as the
    README writes them), ready to paste into a scenario file."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines.append("monitoring:" + ("" if rules else " []"))
    for rule in rules:
        flow = yaml.safe_dump(monitoring_fields(rule), default_flow_style=True, sort_keys=False,
                              width=1 << 20, allow_unicode=True).strip()
        lines.append(f"  - {flow}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Exported:
    """A scenario's rules as a Prometheus rules file (``text``, and its ``groups`` as
    data), and a note for each rule that Prometheus has no place for (left out), or
    writes otherwise than it reads, at the rule's position in the scenario file."""

    text: str
    rules: int
    notes: tuple[Problem, ...]
    groups: list[dict[str, Any]] = field(default_factory=list)  # the file's groups, as data


def prometheus_duration(seconds: float) -> str:
    """Seconds as a Prometheus duration (``1h30m``, ``1s500ms``), to the millisecond."""
    total = round(seconds * 1000)
    out = ""
    for unit, size in _PROM_UNITS:
        count, total = divmod(total, size)
        if count:
            out += f"{count}{unit}"
    return out or "0s"


def export_rules(scenario: Scenario) -> Exported:
    """``scenario``'s alert rules as a Prometheus rules file: a group per run of rules
    with the same ``every`` (its ``interval``), each rule's ``expr`` the signal compared
    with its threshold. Rules on a signal kind (``on: log``) have no PromQL and are left
    out, with a note. Raises PrometheusRulesError when no rule can be written."""
    groups: list[dict[str, Any]] = []
    notes: list[Problem] = []
    written = 0
    for index, rule in enumerate(scenario.monitoring):
        if rule.signal is None:
            notes.append(_rule_note(scenario, index, f"alert {rule.alert} left out: it fires on {rule.on} signals"
                                    f"{' from ' + rule.source if rule.source else ''}, which no PromQL expression watches"))
            continue
        if not groups or groups[-1]["_every"] != rule.every:
            name = f"drillbit-{scenario.id}" + (f"-{len(groups) + 1}" if groups else "")
            groups.append({"_every": rule.every, "name": name, "interval": prometheus_duration(rule.every), "rules": []})
        expr, node, note = _expr(rule)
        if note:
            notes.append(_rule_note(scenario, index, note))
        out: dict[str, Any] = {"alert": rule.alert, "expr": expr}
        if rule.for_:
            out["for"] = prometheus_duration(rule.for_)
        labels = {k: v for k, v in (("severity", rule.severity), ("service", rule.service)) if v}
        if rule.service is None and node is not None and _service(node) is not None:
            labels["service"] = ""  # else an import would take the service its selectors match
        if not rule.routed:
            labels[f"{OWN}routed"] = "false"
        if labels:
            out["labels"] = labels
        out["annotations"] = {"summary": _summary(rule), **_annotations(rule)}
        groups[-1]["rules"].append(out)
        written += 1
    if not written:
        raise PrometheusRulesError(f"scenario {scenario.id} has no alert rule on a metric signal to write"
                                   + (f" ({'; '.join(n.message for n in notes)})" if notes else " (its 'monitoring' is empty)"))
    for g in groups:
        del g["_every"]
    text = (f"# Prometheus alerting rules written from drillbit scenario {scenario.id}\n"
            + yaml.safe_dump({"groups": groups}, sort_keys=False, allow_unicode=True, width=1 << 20))
    return Exported(text, written, tuple(notes), groups)


def _rule_note(scenario: Scenario, index: int, message: str) -> Problem:
    """A note at ``monitoring[index]`` of the scenario's file (no position for a scenario built in code)."""
    doc = scenario._source
    path = ("monitoring", index)
    return doc.problem(path, message) if doc is not None else Problem("", 0, 0, format_path(path), message)


def _expr(rule: AlertRule) -> tuple[str, Any, str | None]:
    """The rule's ``expr``, the signal's PromQL node (None for a metric name that is
    not PromQL), and a note when the name would read otherwise as PromQL."""
    signal = rule.signal or ""
    op, value = (">", rule.above) if rule.above is not None else ("<", rule.below)
    try:
        node = _unwrap(promql_parser.parse(signal))
    except ValueError:
        node = None
    note = None
    if node is not None and signal_text(node) == signal:
        selector = f"({signal})" if isinstance(node, promql_parser.BinaryExpr) else signal
        kept = node
    else:
        kept = None
        # A drillbit name (api.error_rate, api-errors): the metric of that name, not an
        # expression PromQL would make of it (api - errors).
        selector = '{__name__="' + signal.replace("\\", "\\\\").replace('"', '\\"') + '"}'
        if node is not None:
            note = (f"alert {rule.alert}: signal {signal!r} is written as the metric of that name, {selector}; "
                    f"as PromQL it would read {signal_text(node)!r}")
    return f"{selector} {op} {_number_text(value)}", kept, note


def _number_text(value: float | None) -> str:
    return repr(float(value)).removesuffix(".0") if value is not None else "0"


def _summary(rule: AlertRule) -> str:
    threshold = f"above {_number_text(rule.above)}" if rule.above is not None else f"below {_number_text(rule.below)}"
    lasting = f" for {format_duration(rule.for_)}" if rule.for_ else ""
    return f"{rule.signal} is {threshold}{lasting}" + (f" on {rule.service}" if rule.service else "")


def _annotations(rule: AlertRule) -> dict[str, str]:
    out = {}
    if rule.sensitivity != 1.0:
        out[f"{OWN}sensitivity"] = repr(rule.sensitivity)
    if rule.false_positives_per_week:
        out[f"{OWN}false_positives_per_week"] = repr(rule.false_positives_per_week)
    if rule.depends_on:
        out[f"{OWN}depends_on"] = ",".join(rule.depends_on)
    return out
