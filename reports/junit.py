"""JUnit XML: a drill as a test suite, one test case per objective, so a CI system
shows which objectives a drill met.

A test case fails when its objective was missed or not reached (one run), or was met
in fewer than the required share of runs (many runs), which is exactly when its
rating (what that share of runs achieved) is not P; the rating and the worst single
run are in each case's output. The shape follows the common
Jenkins / Surefire JUnit schema: ``testsuites > testsuite > (properties, testcase*,
system-out)``; ``timestamp`` is the drill's start in UTC without an offset, as that
schema wants; ``time`` is 0 because a drill's durations are its results, not the
time a test took.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timezone

from scoring.ratings import CAPABILITIES

from . import fmt
from .view import Inputs, worst_run

_CAPABILITY = {m: c for c, ms in CAPABILITIES.items() for m in ms}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.replace("&", "and").lower()).strip("-")


def render_junit(inp: Inputs) -> str:
    """The JUnit XML document (UTF-8 text with an XML declaration)."""
    res, sc = inp.result, inp.scenario
    tl = inp.timeline
    cases = []
    failures = 0
    for o in res.objectives:
        capability = _CAPABILITY.get(o.metric, "other")
        case = ET.Element("testcase", {"name": o.label, "classname": f"drillbit.{sc.id}.{_slug(capability)}", "time": "0"})
        target = fmt.duration(o.target)
        if inp.single:
            status = o.status
            detail = f"objective: {o.label} ({o.source}); achieved: " + (
                "never started" if status == "not reached" else fmt.duration(o.value))
            if status == "missed":
                message = (f"missed: {o.label}, took {fmt.duration(o.value)}" if o.value is not None
                           else f"missed: {o.label}, never happened")
                ET.SubElement(case, "failure", {"message": message, "type": "missed"}).text = detail
            elif status == "not reached":
                ET.SubElement(case, "failure", {"message": f"not reached: {o.label}, its start never happened",
                                                "type": "not-reached"}).text = detail
        else:
            share = f"met in {fmt.pct(o.share)} of {o.runs:,} runs (95% interval {fmt.interval(*o.share_ci)})"
            detail = (f"objective: {o.label} ({o.source}); {share}; required: {fmt.pct(inp.require_share)}; "
                      f"rating {o.rating}" + (f"; {worst_run(o.worst_run)}" if o.worst_run.rating != "P" else ""))
            if o.rating != "P":  # P exactly when the required share of runs met it
                ET.SubElement(case, "failure", {"message": f"{share}, below the required {fmt.pct(inp.require_share)}: rating {o.rating}",
                                                "type": "share-below-required"}).text = detail
        if case.find("failure") is not None:
            failures += 1
        ET.SubElement(case, "system-out").text = f"{detail}; target {target}"
        cases.append(case)

    attrs = {"name": f"drill {sc.id}", "tests": str(len(cases)), "failures": str(failures), "errors": "0",
             "skipped": "0", "time": "0"}
    root = ET.Element("testsuites", attrs)
    suite_attrs = dict(attrs, hostname="drillbit", id="0", package=f"drillbit.{sc.id}")
    if tl is not None:
        suite_attrs["timestamp"] = tl.started_at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
    suite = ET.SubElement(root, "testsuite", suite_attrs)
    props = ET.SubElement(suite, "properties")
    facts = [("scenario", sc.id), ("scenario.title", sc.title), ("scenario.kind", sc.kind), ("severity", sc.severity),
             ("team", res.team or ""), ("runs", str(res.runs)), ("verdict", res.verdict or ""),
             ("require_share", f"{inp.require_share:g}")]
    if not inp.single and res.worst_run is not None:
        facts += [("worst_run", res.worst_run.rating), ("worst_run.runs", str(res.worst_run.runs))]
    if res.drill is not None and res.drill.partial:
        facts += [("partial", "true"), ("runs_planned", str(res.drill.runs_planned)), ("drill.state", res.drill.state)]
    if tl is not None:
        facts += [("mode", tl.mode), ("seed", "" if tl.seed is None else str(tl.seed)), ("started_at", tl.started_at.isoformat())]
    for name, value in facts:
        ET.SubElement(props, "property", {"name": name, "value": value})
    suite.extend(cases)
    lines = [f"verdict: {res.verdict or '-'}; {res.objectives_missed} of {len(cases)} objectives missed"]
    lines += [f"note: {note}" for note in res.notes]
    if not inp.single:
        lines[0] += f"; rated by what {fmt.pct(inp.require_share)} of {res.runs:,} runs achieved"
        if res.worst_run is not None:
            lines.append(worst_run(res.worst_run))
    for f in res.findings:
        lines.append(f"[{f.severity}] {f.rule}: {f.title} -- {f.recommendation} (owner: {f.owner})")
    ET.SubElement(suite, "system-out").text = "\n".join(lines)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
