"""Chaos Toolkit experiments (JSON or YAML) as drillbit scenarios with a ``live`` section.

What maps (the experiment format is chaostoolkit-lib's: ``chaoslib/experiment.py``,
``hypothesis.py``, ``provider/http.py`` and ``provider/process.py``):

- ``title``, ``description``, ``tags`` -> the scenario's ``title``, ``summary``, ``tags``;
- steady-state-hypothesis probes (and probes in ``method``) -> ``live.probes``: an
  ``http`` provider's ``url``, ``timeout`` (a pair of connect and read timeouts is
  their sum) and the status its ``tolerance`` expects (a number, a list of numbers,
  or a ``regex`` tolerance on the body); a ``process`` provider running
  ``docker exec CONTAINER CMD …`` -> a command probe in that container;
- ``method`` actions running ``docker stop|kill|pause|restart …`` or
  ``docker network disconnect NETWORK CONTAINER`` (provider ``process``), and
  chaostoolkit-kubernetes' ``terminate_pods`` (python) -> ``live.faults`` on
  targets named after the containers (or the pods' labels);
- ``pauses`` of ``method`` activities -> when each fault starts: Chaos Toolkit runs
  the method in order, so a pause before an action delays it and a pause after an
  activity delays the next one (a ``background`` activity delays none); an action
  takes no time of its own;
- rollbacks that undo such a fault (``docker start``, ``unpause``, ``network
  connect``) -> the fault's ``duration``: it lasts from its ``at`` until the rollback
  runs, after the method and the pauses of the rollbacks before it. A fault no
  rollback undoes is held until the game day ends, when drillbit restores it.

Everything else is listed with the reason it was not imported: python providers with
no drillbit equivalent, ``pauses`` of the steady-state hypothesis, ``controls``,
``secrets``, configuration that comes from the environment (static ``configuration``
values are substituted for ``${name}``), and unknown fields. Nothing is dropped
without a line saying so.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import BaseModel, ValidationError

from .durations import format_duration
from .errors import InputError, Problem
from .jsonsource import parse_json
from .live import Live, LiveFault, Probe
from .scenario import Scenario
from .yamlsource import Document, parse_yaml, read_regular_file

Path_ = tuple[str | int, ...]

#: Top-level fields of an experiment and what drillbit does with them (None: read).
_TOP_LEVEL: dict[str, str | None] = {
    "version": None, "title": None, "description": None, "tags": None, "steady-state-hypothesis": None,
    "method": None, "rollbacks": None, "configuration": None,
    "secrets": "drillbit reads no secrets; write the values a probe needs into the scenario",
    "controls": "controls run Chaos Toolkit extensions around each activity; drillbit has no such hook",
    "extensions": "extensions carry data for other Chaos Toolkit tools, none of which drillbit runs",
    "contributions": "contributions weigh the experiment for Chaos Toolkit's reports; drillbit scores objectives instead",
    "runtime": "runtime settings (rollback strategy, hypothesis frequency) belong to Chaos Toolkit's runner; "
               "drillbit restores every fault at the end and probes throughout",
    "$schema": None,
}
#: Fields of an activity that drillbit reads; the rest are listed as not imported.
_ACTIVITY = ("type", "name", "provider", "tolerance", "background", "pauses", "controls", "ref")
_DOCKER_UNDO = {"start": ("stop", "kill"), "unpause": ("pause",)}
#: Python providers with an obvious drillbit fault: module.function -> how to map it.
_PYTHON_FAULTS = ("chaosk8s.pod.actions.terminate_pods",)
_CONFIG_REF = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class ImportedExperiment:
    """An experiment turned into a scenario.

    ``data`` is the scenario as plain data (what :meth:`to_yaml` writes) and
    ``scenario`` the same validated; ``unmapped`` what was not imported and
    ``changed`` what was imported with a difference, each as ``file:line:col: path:
    why`` of the experiment."""

    file: str
    data: dict[str, Any]
    scenario: Scenario
    unmapped: tuple[Problem, ...]
    changed: tuple[Problem, ...]

    def to_yaml(self) -> str:
        """The scenario as YAML text, with what was not imported as comments on top."""
        head = [f"# Imported from the Chaos Toolkit experiment {os.path.basename(self.file)} by "
                "`drillbit import chaostoolkit`.",
                "# drillbit touches only containers labelled drillbit.chaos=allow unless live.allow_unlabelled is true;",
                "# a fault without a duration is held until the game day ends, then restored;",
                "# 'at' and 'duration' come from the experiment's pauses and rollbacks."]
        for title, items in (("Not imported", self.unmapped), ("Imported with a difference", self.changed)):
            if items:
                head.append(f"# {title}:")
                head += [f"#   {_one_line(p)}" for p in items]
        body = yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
        return "\n".join(head) + "\n" + body

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of ``drillbit import chaostoolkit --json`` but ``out`` and
        ``content``: what was not imported are the ``problems``, what was imported with a
        difference the ``notes``, each ``{file, line, col, path, message}``."""
        return {"version": 1, "file": self.file, "format": "chaostoolkit", "scenario": self.data,
                "faults": len(self.scenario.live.faults) if self.scenario.live else 0,
                "probes": len(self.scenario.live.probes) if self.scenario.live else 0,
                "problems": [_entry(p) for p in self.unmapped], "notes": [_entry(p) for p in self.changed]}


def _entry(p: Problem) -> dict[str, Any]:
    return {"file": p.file, "line": p.line, "col": p.col, "path": p.path, "message": p.message}


def _one_line(p: Problem) -> str:
    return " ".join(str(p).split())


def read_experiment(path: str | Path) -> Document:
    """Read an experiment file, JSON or YAML (told apart by its first character), with
    positions. Raises InputError."""
    name = str(path)
    try:
        raw = read_regular_file(Path(path), name, "JSON or YAML")
    except OSError as exc:
        raise InputError([Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return parse_json(raw, name)
    return parse_yaml(raw, name)


def import_experiment(path: str | Path, *, severity: str = "P2") -> ImportedExperiment:
    """Turn the Chaos Toolkit experiment at ``path`` into a scenario of kind outage at
    ``severity``. Raises InputError for a file that is not an experiment (every
    problem at once, positioned), or one none of whose actions becomes a fault."""
    doc = read_experiment(path)
    return _Mapper(doc, severity).run()


class _Skip(Exception):
    def __init__(self, path: Path_, why: str):
        self.path, self.why = path, why


class _Mapper:
    def __init__(self, doc: Document, severity: str):
        self.doc, self.severity = doc, severity
        self.problems: list[Problem] = []
        self.unmapped: list[Problem] = []
        self.changed: list[Problem] = []
        self.config: dict[str, str] = {}
        self.from_env: dict[str, str] = {}
        self.targets: dict[str, dict[str, Any]] = {}
        self.faults: list[tuple[dict[str, Any], str]] = []  # (fault, the action's name)
        self.clock = 0.0  # seconds since the method started, as Chaos Toolkit's pauses add up
        self.starts: dict[int, float] = {}  # id of a fault -> its start in seconds, unrounded
        self.probes: list[dict[str, Any]] = []
        self.probed: dict[int, str] = {}  # id of an activity already imported -> its probe's name

    # -- reporting ---------------------------------------------------------------------

    def bad(self, path: Path_, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def skip(self, path: Path_, why: str) -> None:
        self.unmapped.append(self.doc.problem(path, f"not imported: {why}"))

    def differs(self, path: Path_, why: str) -> None:
        self.changed.append(self.doc.problem(path, why))

    # -- the experiment ----------------------------------------------------------------

    def run(self) -> ImportedExperiment:
        exp = self.doc.data
        if not isinstance(exp, dict):
            raise InputError([self.doc.problem((), f"expected a Chaos Toolkit experiment (a mapping with title, "
                                                   f"description and method), got {_kind(exp)}")])
        for key in exp:
            if key not in _TOP_LEVEL:
                hint = difflib.get_close_matches(key, list(_TOP_LEVEL), 1)
                self.skip((key,), f"'{key}' is not a field of a Chaos Toolkit experiment"
                          + (f" (did you mean '{hint[0]}'?)" if hint else ""))
            elif _TOP_LEVEL[key]:
                self.skip((key,), _TOP_LEVEL[key])
        title = self.text(exp, ("title",), required=True)
        description = self.text(exp, ("description",), required=True)
        tags = exp.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
            self.bad(("tags",), f"expected a list of tags (text), got {_kind(tags)}")
            tags = []
        self.configuration(exp.get("configuration"))
        hypo = exp.get("steady-state-hypothesis")
        if hypo is not None:
            self.hypothesis(hypo)
        method = exp.get("method")
        if not isinstance(method, list) or not method:
            self.bad(("method",), f"expected 'method', a list of at least one activity, got {_kind(method)}")
            method = []
        for i, activity in enumerate(method):
            self.method_activity(("method", i), activity)
        rollbacks = exp.get("rollbacks", [])
        if not isinstance(rollbacks, list):
            self.bad(("rollbacks",), f"expected a list of actions, got {_kind(rollbacks)}")
            rollbacks = []
        self.clock = max([self.clock, *self.starts.values()])  # the method waits for background actions
        for i, activity in enumerate(rollbacks):
            self.rollback(("rollbacks", i), activity)
        default_limit = Live.model_fields["limit"].default
        self.limit = self.clock + default_limit if self.clock >= default_limit else None
        if self.limit is not None:
            self.differs(("method",), f"the pauses run to {format_duration(self.clock)}, past drillbit's default limit "
                                      f"of {format_duration(default_limit)}; live.limit is {format_duration(self.limit)}, "
                                      f"{format_duration(default_limit)} after the last rollback")
        if self.problems:
            raise InputError(self.problems)
        if not self.faults:
            raise InputError([self.doc.problem(("method",), "no action of 'method' became a drillbit fault: expected "
                                               "a process action running docker stop, kill, pause, restart or "
                                               "network disconnect"), *self.unmapped])
        data = self.scenario(title or "", description, tags)
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:  # a value that passed each part's check but not the whole
            raise InputError([self.doc.problem((), f"the scenario made of it does not validate: {exc.errors()[0]['msg']}")]) from None
        return ImportedExperiment(self.doc.file, data, scenario, tuple(sorted(self.unmapped)), tuple(sorted(self.changed)))

    def text(self, obj: dict[str, Any], path: Path_, *, required: bool = False) -> str | None:
        value = obj.get(path[-1])
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.bad(path, f"expected '{path[-1]}' as text, got {_kind(value)}")
            return None
        return value.strip()

    def configuration(self, config: Any) -> None:
        if config is None:
            return
        if not isinstance(config, dict):
            self.bad(("configuration",), f"expected a mapping of names to values, got {_kind(config)}")
            return
        for name, value in config.items():
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                self.config[name] = str(value)
            elif isinstance(value, dict) and value.get("type") == "env":
                self.from_env[name] = str(value.get("key", name))
                self.skip(("configuration", name), f"its value is read from the environment variable "
                                                   f"{value.get('key', name)} when the experiment runs; write the value "
                                                   "into the scenario where it is used")
            else:
                kind = value.get("type") if isinstance(value, dict) else _kind(value)
                self.skip(("configuration", name), f"a configuration value of type {kind!r} is resolved by Chaos "
                                                   "Toolkit when it runs; drillbit takes written values only")

    def substitute(self, value: str, path: Path_) -> str:
        """``${name}`` replaced by a written configuration value; raises _Skip for one
        drillbit cannot know."""
        def one(m: re.Match[str]) -> str:
            name = m.group(1)
            if name in self.config:
                return self.config[name]
            if name in self.from_env:
                raise _Skip(path, f"it refers to ${{{name}}}, read from the environment variable "
                                  f"{self.from_env[name]} when Chaos Toolkit runs")
            raise _Skip(path, f"it refers to ${{{name}}}, which is not a written value of 'configuration' "
                              "(a secret, or a value Chaos Toolkit resolves when it runs)")
        return _CONFIG_REF.sub(one, value)

    # -- activities --------------------------------------------------------------------

    def activity(self, path: Path_, activity: Any) -> dict[str, Any] | None:
        """The activity checked (a ``ref`` resolved), or None when it is malformed."""
        if not isinstance(activity, dict):
            self.bad(path, f"expected an activity (a mapping with type, name and provider), got {_kind(activity)}")
            return None
        if "ref" in activity and len(activity) == 1:
            found = self.lookup(activity["ref"])
            if found is None:
                self.bad(path + ("ref",), f"expected the name of a probe or action defined in the experiment, "
                                          f"got {activity['ref']!r}")
            return found
        ok = True
        kind = activity.get("type")
        if kind not in ("probe", "action"):
            self.bad(path + ("type",), f"expected 'probe' or 'action', got {kind!r}" + _hint(kind, ("probe", "action")))
            ok = False
        if not isinstance(activity.get("name"), str) or not activity["name"].strip():
            self.bad(path + ("name",), f"expected the activity's name as text, got {_kind(activity.get('name'))}")
            ok = False
        provider = activity.get("provider")
        if not isinstance(provider, dict):
            self.bad(path + ("provider",), f"expected a provider (type python, process or http), got {_kind(provider)}")
            return None
        ptype = provider.get("type")
        if ptype not in ("python", "process", "http"):
            self.bad(path + ("provider", "type"), f"expected 'python', 'process' or 'http', got {ptype!r}"
                     + _hint(ptype, ("python", "process", "http")))
            ok = False
        need = {"python": ("module", "func"), "process": ("path",), "http": ("url",)}.get(ptype, ())
        for key in need:
            if not isinstance(provider.get(key), str) or not provider[key].strip():
                self.bad(path + ("provider", key), f"a {ptype} provider needs '{key}' as text, got {_kind(provider.get(key))}")
                ok = False
        if not ok:
            return None
        for key in activity:
            if key not in _ACTIVITY:
                self.skip(path + (key,), f"'{key}' is not a field of a Chaos Toolkit activity drillbit reads")
        if "controls" in activity:
            self.skip(path + ("controls",), _TOP_LEVEL["controls"] or "")
        return activity

    def lookup(self, name: Any) -> dict[str, Any] | None:
        exp = self.doc.data
        lists = [(exp.get("steady-state-hypothesis") or {}).get("probes") if isinstance(exp.get("steady-state-hypothesis"), dict) else None,
                 exp.get("method"), exp.get("rollbacks")]
        for items in lists:
            for a in items if isinstance(items, list) else ():
                if isinstance(a, dict) and a.get("name") == name and "provider" in a:
                    return a
        return None

    def hypothesis(self, hypo: Any) -> None:
        path: Path_ = ("steady-state-hypothesis",)
        if not isinstance(hypo, dict):
            self.bad(path, f"expected a mapping with title and probes, got {_kind(hypo)}")
            return
        for key in hypo:
            if key == "controls":
                self.skip(path + (key,), _TOP_LEVEL["controls"] or "")
            elif key not in ("title", "probes"):
                self.skip(path + (key,), f"'{key}' is not a field of a steady-state hypothesis")
        probes = hypo.get("probes", [])
        if not isinstance(probes, list):
            self.bad(path + ("probes",), f"expected a list of probes, got {_kind(probes)}")
            return
        for i, activity in enumerate(probes):
            a = self.activity(path + ("probes", i), activity)
            if a is not None:
                if "pauses" in a:
                    self.skip(path + ("probes", i, "pauses"), "drillbit checks the steady state before the game "
                              "day's clock starts (live.steady_for); a pause there moves no fault")
                self.probe(path + ("probes", i), a)

    def method_activity(self, path: Path_, activity: Any) -> None:
        a = self.activity(path, activity)
        if a is None:
            return
        start = self.advance(path, a)
        if a["type"] == "probe":
            self.probe(path, a)
        else:
            self.action(path, a, start)

    def advance(self, path: Path_, a: dict[str, Any]) -> float:
        """When activity ``a`` starts (seconds since the method started), its pause
        before included; the clock moves on past its pause after, unless it runs in
        the background."""
        before, after = self.pauses(path, a)
        start = self.clock + before
        if not a.get("background"):
            self.clock = start + after
        return start

    def pauses(self, path: Path_, a: dict[str, Any]) -> tuple[float, float]:
        """An activity's pauses (before, after) in seconds; one drillbit cannot read is
        listed and counts as none."""
        pauses = a.get("pauses")
        if pauses is None:
            return 0.0, 0.0
        where = path + ("pauses",)
        if not isinstance(pauses, dict):
            self.skip(where, f"expected pauses as a mapping with before and after (seconds), got {_kind(pauses)}; "
                             "the faults after it start earlier than in Chaos Toolkit")
            return 0.0, 0.0
        out = []
        for key in ("before", "after"):
            value = pauses.get(key, 0)
            try:
                value = self.substitute(value, where + (key,)) if isinstance(value, str) else value
                seconds = float(value)
                if isinstance(value, bool) or not seconds >= 0 or seconds == float("inf"):
                    raise ValueError
            except _Skip as s:
                self.skip(s.path, f"{s.why}; the faults after it start earlier than in Chaos Toolkit")
                seconds = 0.0
            except (TypeError, ValueError):
                self.skip(where + (key,), f"expected a pause in seconds, got {_kind(value)}; the faults after it "
                                          "start earlier than in Chaos Toolkit")
                seconds = 0.0
            out.append(seconds)
        for key in pauses:
            if key not in ("before", "after"):
                self.skip(where + (key,), f"'{key}' is not a pause Chaos Toolkit knows (before, after)")
        return out[0], out[1]

    def probe(self, path: Path_, a: dict[str, Any]) -> None:
        if id(a) in self.probed:
            self.differs(path, f"drillbit runs every probe throughout the game day; this is '{self.probed[id(a)]}' again")
            return
        probe = self.checked(path, lambda: self.map_probe(path, a), Probe, "probe")
        if probe is not None:
            self.probed[id(a)] = probe["name"]
            self.probes.append(probe)

    def checked(self, path: Path_, make: Callable[[], dict[str, Any]], model: type[BaseModel],
                what: str) -> dict[str, Any] | None:
        """What ``make`` maps, when it maps and validates as ``model``; else None, and
        the reason is listed."""
        try:
            out = make()
            model.model_validate(out)
        except _Skip as s:
            self.skip(s.path, s.why)
            return None
        except ValidationError as exc:
            self.skip(path, f"drillbit's {what} would not be valid: {exc.errors()[0]['msg']}")
            return None
        return out

    def map_probe(self, path: Path_, a: dict[str, Any]) -> dict[str, Any]:
        provider = a["provider"]
        name = self.unique_name(a["name"])
        if provider["type"] == "python":
            raise _Skip(path + ("provider",), f"drillbit has no probe that calls the python function "
                                              f"{provider['module']}.{provider['func']}")
        if provider["type"] == "http":
            return self.http_probe(path, a, name)
        argv = self.argv(path, provider)
        if os.path.basename(argv[0]) != "docker" or (argv[1:2] != ["exec"] and argv[1:3] != ["container", "exec"]):
            raise _Skip(path + ("provider",), f"a process probe runs {os.path.basename(argv[0])} on this machine, "
                                              "while drillbit's command probes run inside a target's container; "
                                              "write it as docker exec CONTAINER COMMAND …")
        where = path + ("provider", "arguments")
        container, command, options = _docker_exec(argv[2:] if argv[1] == "exec" else argv[3:], where)
        if options:
            self.differs(where, f"drillbit runs the command with the container's own user, environment and folder; "
                                f"{' '.join(options)} is not kept")
        tolerance = a.get("tolerance", 0)
        if tolerance != 0:
            raise _Skip(path + ("tolerance",), f"drillbit's command probes pass on exit status 0; the tolerance "
                                               f"{tolerance!r} asks for something else")
        probe = {"name": name, "command": command, "target": self.target([container])}
        self.timeout(path, provider, probe)
        return probe

    def http_probe(self, path: Path_, a: dict[str, Any], name: str) -> dict[str, Any]:
        provider = a["provider"]
        url = self.substitute(provider["url"], path + ("provider", "url"))
        method = str(provider.get("method", "GET")).upper()
        if method != "GET":
            raise _Skip(path + ("provider", "method"), f"drillbit's http probes send GET, not {method}")
        probe: dict[str, Any] = {"name": name, "http": url}
        for key in ("headers", "arguments"):
            if provider.get(key):
                self.differs(path + ("provider", key), f"drillbit's http probes send no {key}; the probe is a plain GET")
        if provider.get("verify_tls") is False:
            self.differs(path + ("provider", "verify_tls"), "drillbit's http probes verify TLS certificates")
        for key in provider:
            if key not in ("type", "url", "method", "timeout", "headers", "arguments", "verify_tls", "max_retries"):
                self.skip(path + ("provider", key), f"'{key}' is not a field of an http provider drillbit reads")
        self.timeout(path, provider, probe)
        tolerance = a.get("tolerance")
        tpath = path + ("tolerance",)
        if tolerance is None:
            self.differs(path, "no tolerance: drillbit's probe expects status 200")
        elif isinstance(tolerance, int) and not isinstance(tolerance, bool):
            probe["expect_status"] = tolerance
        elif isinstance(tolerance, list) and tolerance and all(isinstance(x, int) and not isinstance(x, bool) for x in tolerance):
            probe["expect_status"] = tolerance[0]
            if len(tolerance) > 1:
                self.differs(tpath, f"drillbit's probe expects one status; of {tolerance} it expects {tolerance[0]}")
        elif isinstance(tolerance, dict) and tolerance.get("type") == "regex" and isinstance(tolerance.get("pattern"), str):
            if tolerance.get("target", "body") != "body":
                raise _Skip(tpath, f"drillbit matches a regular expression on the body, not on {tolerance['target']!r}")
            probe["body_regex"] = self.substitute(tolerance["pattern"], tpath)
        else:
            what = tolerance.get("type") if isinstance(tolerance, dict) else _kind(tolerance)
            raise _Skip(tpath, f"drillbit's http probes check a status or a regular expression on the body; "
                               f"a tolerance of {what!r} has no equivalent")
        return probe

    def timeout(self, path: Path_, provider: dict[str, Any], probe: dict[str, Any]) -> None:
        t = provider.get("timeout")
        if t is None:
            return
        if isinstance(t, list) and len(t) == 2 and all(isinstance(x, (int, float)) for x in t):
            probe["timeout"] = format_duration(float(sum(t)))
            self.differs(path + ("provider", "timeout"), f"the connect and read timeouts {t} are one timeout of "
                                                         f"{probe['timeout']} in drillbit")
        elif isinstance(t, (int, float)) and not isinstance(t, bool) and t > 0:
            probe["timeout"] = format_duration(float(t))
        else:
            raise _Skip(path + ("provider", "timeout"), f"expected a timeout in seconds, got {t!r}")

    def action(self, path: Path_, a: dict[str, Any], at: float) -> None:
        fault = self.checked(path, lambda: {**self.map_action(path, a), "at": format_duration(at)}, LiveFault, "fault")
        if fault is not None:
            self.faults.append((fault, a["name"]))
            self.starts[id(fault)] = at

    def map_action(self, path: Path_, a: dict[str, Any]) -> dict[str, Any]:
        provider = a["provider"]
        if provider["type"] == "http":
            raise _Skip(path + ("provider",), "an HTTP call is not a fault drillbit applies to a container")
        if provider["type"] == "python":
            func = f"{provider['module']}.{provider['func']}"
            if func not in _PYTHON_FAULTS:
                raise _Skip(path + ("provider",), f"the python function {func} has no equivalent drillbit fault "
                                                  "(drillbit's faults act on Docker containers)")
            return self.terminate_pods(path, provider)
        argv = self.argv(path, provider)
        where = path + ("provider", "arguments")
        if os.path.basename(argv[0]) != "docker":
            raise _Skip(path + ("provider", "path"), f"{os.path.basename(argv[0])} is not docker; drillbit maps "
                                                     "docker stop, kill, pause, restart and network disconnect")
        words = argv[1:]
        if words[:1] == ["container"]:
            words = words[1:]
        if words[:2] == ["network", "disconnect"]:
            opts, names = _options(words[2:], {"-f": False, "--force": False}, where)
            if len(names) != 2:
                raise _Skip(where, "expected docker network disconnect NETWORK CONTAINER")
            return {"at": "0s", "kind": "disconnect", "target": self.target([names[1]]), "network": names[0]}
        verb = words[0] if words else ""
        if verb in ("stop", "restart"):
            opts, names = _options(words[1:], {"-t": True, "--time": True, "--timeout": True, "-s": True,
                                               "--signal": True}, where)
            fault: dict[str, Any] = {"at": "0s", "kind": verb, "target": self.target(names, where)}
            grace = opts.get("-t") or opts.get("--time") or opts.get("--timeout")
            if grace is not None:
                if not grace.isdigit():
                    raise _Skip(where, f"expected the seconds before SIGKILL as a whole number, got {grace!r}")
                fault["grace"] = format_duration(float(grace))
            if opts.get("-s") or opts.get("--signal"):
                self.differs(where, f"drillbit's {verb} sends SIGTERM, then SIGKILL after the grace period")
            return fault
        if verb == "kill":
            opts, names = _options(words[1:], {"-s": True, "--signal": True}, where)
            fault = {"at": "0s", "kind": "kill", "target": self.target(names, where)}
            sig = opts.get("-s") or opts.get("--signal")
            if sig is not None:
                fault["signal"] = sig if sig.upper().startswith("SIG") or sig.isdigit() else "SIG" + sig.upper()
            return fault
        if verb == "pause":
            _, names = _options(words[1:], {}, where)
            return {"at": "0s", "kind": "pause", "target": self.target(names, where)}
        raise _Skip(where, f"docker {' '.join(words[:2]) or '(nothing)'} has no drillbit fault (drillbit maps "
                           "docker stop, kill, pause, restart and network disconnect)")

    def terminate_pods(self, path: Path_, provider: dict[str, Any]) -> dict[str, Any]:
        args = provider.get("arguments") or {}
        where = path + ("provider", "arguments")
        if not isinstance(args, dict):
            raise _Skip(where, f"expected the function's arguments as a mapping, got {_kind(args)}")
        for key in args:
            if key not in ("label_selector", "name_pattern", "rand", "qty", "all", "grace_period"):
                self.skip(where + (key,), f"the argument '{key}' has no equivalent on Docker containers")
        target: dict[str, Any] = {}
        selector = args.get("label_selector")
        if isinstance(selector, str) and selector.strip():
            labels = {}
            for part in selector.split(","):
                key, sep, value = part.partition("=")
                if not sep or key.strip().endswith("!"):
                    raise _Skip(where + ("label_selector",), f"drillbit selects containers by labels equal to a "
                                                             f"value; {part.strip()!r} is not one")
                labels[key.strip()] = value.strip()
            target["labels"] = labels
        if isinstance(args.get("name_pattern"), str):
            target["patterns"] = [_glob_of(args["name_pattern"])]
            self.differs(where + ("name_pattern",), "the pattern is a regular expression in Chaos Toolkit and a "
                                                    f"glob ({target['patterns'][0]}) in drillbit")
        if not target:
            raise _Skip(where, "expected a label_selector or a name_pattern to choose the containers")
        if args.get("rand"):
            target["select"] = "random"
        elif isinstance(args.get("qty"), int) and args["qty"] > 0 and args.get("all") is not True:
            target["count"] = args["qty"]
        self.differs(path + ("provider",), "pods become the Docker containers that carry the same labels "
                                           "(drillbit acts on Docker, not on Kubernetes)")
        tid = self.add_target(_slug("pods-" + "-".join(f"{k}-{v}" for k, v in target.get("labels", {}).items())
                                    or "pods"), target)
        grace = args.get("grace_period")
        if isinstance(grace, int) and grace > 0:
            return {"at": "0s", "kind": "stop", "target": tid, "grace": format_duration(float(grace))}
        return {"at": "0s", "kind": "kill", "target": tid}

    def rollback(self, path: Path_, activity: Any) -> None:
        a = self.activity(path, activity)
        if a is None:
            return
        runs_at = self.advance(path, a)
        provider = a["provider"]
        if provider["type"] == "process":
            try:
                argv = self.argv(path, provider)
            except _Skip as s:
                self.skip(s.path, s.why)
                return
            words = argv[2:] if argv[1:2] == ["container"] else argv[1:]
            fault = self.undoes(words) if os.path.basename(argv[0]) == "docker" else None
            if fault is not None:
                self.bound(path, fault, runs_at)
                return
        self.skip(path, "drillbit restores the faults it applied itself; this rollback undoes none of them "
                        "(run it yourself after the game day if it is still needed)")

    def bound(self, path: Path_, fault: dict[str, Any], runs_at: float) -> None:
        """End ``fault`` when the rollback that undoes it runs, ``runs_at`` seconds
        after the method started."""
        label = f"{fault['kind']} on {fault['target']}"
        lasts = runs_at - self.starts[id(fault)]
        if "duration" in fault:
            self.differs(path, f"{label} already ends after {fault['duration']}, when an earlier rollback undoes it")
        elif lasts > 0:
            fault["duration"] = format_duration(lasts)
            self.differs(path, f"drillbit restores {label} itself after {fault['duration']}, when this rollback "
                               "would run (Chaos Toolkit also checks the steady state first, which takes a moment)")
        else:
            self.differs(path, f"this rollback undoes {label} at once (no pause in between); drillbit holds it "
                               "until the game day ends; set the fault's 'duration' in the scenario to end it sooner")

    def undoes(self, words: list[str]) -> dict[str, Any] | None:
        """The fault a rollback's docker words undo, or None."""
        if words[:2] == ["network", "connect"]:
            names = [w for w in words[2:] if not w.startswith("-")]
            kinds, named = ("disconnect",), names[1:2]
        elif words and words[0] in _DOCKER_UNDO:
            kinds, named = _DOCKER_UNDO[words[0]], [w for w in words[1:] if not w.startswith("-")]
        else:
            return None
        for fault, _ in self.faults:
            names = self.targets[fault["target"]].get("names", [])
            if fault["kind"] in kinds and named and set(named) <= set(names):
                return fault
        return None

    def argv(self, path: Path_, provider: dict[str, Any]) -> list[str]:
        args = provider.get("arguments", [])
        where = path + ("provider", "arguments")
        if isinstance(args, str):
            try:
                words = shlex.split(self.substitute(args, where))
            except ValueError as exc:
                raise _Skip(where, f"the arguments do not split into words: {exc}") from None
        elif isinstance(args, list):
            words = [self.substitute(str(w), where) for w in args if w not in (None, "")]
        elif isinstance(args, dict):  # chaoslib passes a mapping as key, value, key, value …
            words = [self.substitute(str(w), where) for kv in args.items() for w in kv if w not in (None, "")]
        else:
            raise _Skip(where, f"expected the arguments as text or a list, got {_kind(args)}")
        return [self.substitute(provider["path"], path + ("provider", "path")), *words]

    # -- targets and the scenario ------------------------------------------------------

    def target(self, names: list[str], where: Path_ = ()) -> str:
        if not names:
            raise _Skip(where, "expected the container's name")
        for n in names:
            if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*", n):
                raise _Skip(where, f"expected a Docker container name, got {n!r}")
        for tid, t in self.targets.items():
            if t.get("names") == names:
                return tid
        return self.add_target(_slug(names[0]), {"names": list(names)})

    def add_target(self, base: str, target: dict[str, Any]) -> str:
        tid, n = base, 2
        while tid in self.targets:
            if self.targets[tid] == target:
                return tid
            tid, n = f"{base}-{n}", n + 1
        self.targets[tid] = target
        return tid

    def unique_name(self, name: str) -> str:
        base = _slug(name)
        taken = {p["name"] for p in self.probes}
        out, n = base, 2
        while out in taken:
            out, n = f"{base}-{n}", n + 1
        return out

    def scenario(self, title: str, description: str | None, tags: list[str]) -> dict[str, Any]:
        services = list(dict.fromkeys(f["target"] for f, _ in self.faults))
        injects = [{"at": f["at"], "fault": {"kind": "network-partition" if f["kind"] == "disconnect" else "crash",
                                          "service": f["target"], "impact": "outage",
                                          "note": f"Chaos Toolkit action '{name}': {f['kind']} on {f['target']}"}}
                   for f, name in self.faults]
        live: dict[str, Any] = {"targets": {tid: self.targets[tid] for tid in dict.fromkeys(
            [*services, *(p["target"] for p in self.probes if "target" in p)])}, "faults": [f for f, _ in self.faults]}
        if self.probes:
            live["probes"] = self.probes
        if self.limit is not None:
            live["limit"] = format_duration(self.limit)
        data: dict[str, Any] = {"id": _slug(title)[:80].rstrip("-.") or "chaostoolkit-experiment", "title": title,
                                "kind": "outage", "severity": self.severity}
        if description:
            data["summary"] = description
        data["tags"] = list(dict.fromkeys(["chaostoolkit", *tags]))
        data.update({"services": services, "injects": injects, "live": live})
        return data


def _docker_exec(words: list[str], where: Path_) -> tuple[str, str, list[str]]:
    """(container, command, the options that change how it runs) of ``docker exec``'s
    words after ``exec``."""
    takes_value = {"-u", "--user", "-e", "--env", "-w", "--workdir", "--env-file", "--detach-keys"}
    kept: list[str] = []
    i = 0
    while i < len(words) and words[i].startswith("-"):
        flag = words[i].split("=", 1)[0]
        step = 2 if flag in takes_value and "=" not in words[i] else 1
        if flag not in ("-i", "--interactive", "-t", "--tty", "-it", "-ti"):
            kept += words[i:i + step]
        i += step
    if i + 1 >= len(words):
        raise _Skip(where, "expected docker exec CONTAINER COMMAND …")
    return words[i], shlex.join(words[i + 1:]), kept


def _options(words: list[str], known: dict[str, bool], where: Path_) -> tuple[dict[str, str], list[str]]:
    """(option -> value, the other words); ``known`` says which options take a value."""
    opts: dict[str, str] = {}
    names: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w.startswith("-") and w != "-":
            flag, eq, value = w.partition("=")
            if flag not in known:
                raise _Skip(where, f"the option {flag} has no equivalent in drillbit's fault")
            if known[flag] and not eq:
                if i + 1 >= len(words):
                    raise _Skip(where, f"the option {flag} needs a value")
                value, i = words[i + 1], i + 1
            opts[flag] = value
        else:
            names.append(w)
        i += 1
    return opts, names


def _glob_of(pattern: str) -> str:
    """A regular expression of pod names as the nearest glob (``.*`` -> ``*``)."""
    return re.sub(r"\.\*|\.\+", "*", pattern.strip("^$")).replace("\\", "") or "*"


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-._")
    return s or "x"


def _hint(value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        return ""
    found = difflib.get_close_matches(value, choices, 1)
    return f"; did you mean '{found[0]}'?" if found else ""


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true or false)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}" if value.strip() else "empty text"
    return "a list" if isinstance(value, list) else "a mapping"
