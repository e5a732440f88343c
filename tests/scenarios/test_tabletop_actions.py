"""The tabletop's action vocabulary and its script files: what parses, and every mistake
reported at its line and column."""

from __future__ import annotations

from textwrap import dedent

import pytest

from scenarios.errors import InputError
from scenarios.loader import check_files, detect_kind
from scenarios.tabletop import (FACILITATOR_ACTIONS, MAX_TEXT, ROOM_ACTIONS, Acknowledge, ActionError, Clock,
                                FinishStep, StatusUpdate, load_script, parse_action)
from scenarios.yamlsource import parse_yaml


def test_an_action_parses_by_its_kind():
    a = parse_action({"action": "step", "runbook": "restart-web", "step": 2, "ok": False, "by": "amara"})
    assert isinstance(a, FinishStep) and (a.runbook, a.step, a.ok, a.by) == ("restart-web", 2, False, "amara")
    assert parse_action({"action": "update", "phase": "identified", "text": "  A bad deploy  "}).text == "A bad deploy"
    assert isinstance(parse_action({"action": "pause"}), Clock)


@pytest.mark.parametrize("doc, message", [
    (["acknowledge"], "expected an object such as {\"action\": \"acknowledge\"}, got list"),
    ({"action": "dance"}, "unknown action 'dance'; expected one of: acknowledge, escalate"),
    ({}, "unknown action None"),
    ({"action": "acknowledge", "page": 0}, "acknowledge: page: Input should be greater than or equal to 1"),
    ({"action": "update", "phase": "panicking", "text": "x"}, "update: phase: Input should be 'investigating'"),
    ({"action": "update", "phase": "identified", "text": "   "}, "update: text: String should have at least 1 character"),
    ({"action": "note", "text": "x" * (MAX_TEXT + 1)}, f"note: text: String should have at most {MAX_TEXT} characters"),
    ({"action": "speed", "factor": 3}, "speed: factor: Input should be 1, 2, 5 or 10"),
    ({"action": "escalate", "to": "Role Chef"}, "escalate: to: String should match pattern"),
    ({"action": "acknowledge", "colour": "red"}, "acknowledge: colour: Extra inputs are not permitted"),
    ({"action": "start", "by": "amara"}, "start: by: Extra inputs are not permitted"),
])
def test_a_request_that_is_not_an_action_says_why(doc, message):
    with pytest.raises(ActionError) as err:
        parse_action(doc)
    assert str(err.value).startswith(message)


def test_the_room_and_the_facilitator_have_separate_actions():
    assert not set(ROOM_ACTIONS) & set(FACILITATOR_ACTIONS)
    assert "hotwash" in ROOM_ACTIONS and "release" in FACILITATOR_ACTIONS


SCRIPT = """\
tabletop-script: 1
actions:
  - {at: 0s, action: start}
  - {at: 4m, action: acknowledge, by: amara}
  - at: 9m
    action: update
    phase: investigating
    text: Checkout is failing; we are on it
  - {at: 9m, action: hold, inject: 3}
"""


def write(tmp_path, text: str):
    path = tmp_path / "script.yaml"
    path.write_text(dedent(text))
    return path


def test_a_script_loads_as_times_and_actions_in_file_order(tmp_path):
    got = load_script(write(tmp_path, SCRIPT))
    assert [(t, a.action) for t, a in got] == [(0.0, "start"), (240.0, "acknowledge"), (540.0, "update"), (540.0, "hold")]
    assert type(got[1][1]) is Acknowledge and got[1][1].by == "amara"
    assert type(got[2][1]) is StatusUpdate and got[2][1].text == "Checkout is failing; we are on it"
    # an entry is the action a request would be (no 'at' left on it)
    for _, a in got:
        assert parse_action(a.model_dump(mode="json", exclude_none=True)) == a


def test_every_mistake_in_a_script_is_reported_at_its_line_and_column(tmp_path):
    path = write(tmp_path, """\
        tabletop-script: 1
        actions:
          - {at: 5m, action: start}
          - {at: 4m, action: acknowledge}
          - {at: 9x, action: acknowledge}
          - {at: 10m, action: acknowlege}
          - {at: 11m, action: update, phase: nope, text: hi, colour: red}
          - {action: note, text: no time}
          - {at: 12m, action: step, runbook: r, step: 1}
        extra: 1
        """)
    with pytest.raises(InputError) as err:
        load_script(path)
    lines = [str(p).split(": ", 1)[0].rsplit(":", 2)[1:] + [str(p).split(": ", 1)[1]] for p in err.value.problems]
    assert lines == [
        ["4", "10", "actions[1].at: expected a time from 5m on: times in a script must not go backwards"],
        ["5", "10", "actions[2].at: expected a duration such as '90s', '5m', '1h30m' or '2d', got '9x'"],
        ["6", "5", "actions[3]: unknown action 'acknowlege'; did you mean 'acknowledge'?"],
        ["7", "38", "actions[4].phase: expected one of 'investigating', 'identified', 'monitoring' or 'resolved', got 'nope'"],
        ["7", "54", "actions[4].colour: unknown key 'colour'; expected one of: action, at, by, phase, text"],
        ["8", "5", "actions[5].at: missing required key 'at'"],
        ["9", "5", "actions[6].ok: missing required key 'ok'"],
        ["10", "1", "extra: unknown key 'extra'; expected one of: actions, tabletop-script"],
    ]


def test_a_script_of_another_version_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"script.yaml:1:18: tabletop-script: expected 1, got 2"):
        load_script(write(tmp_path, "tabletop-script: 2\nactions: []\n"))


def test_a_script_file_is_told_apart_from_the_other_files_and_checked_with_them(tmp_path):
    assert detect_kind(parse_yaml(SCRIPT, "s.yaml")) == "tabletop-script"
    [ok] = check_files([write(tmp_path, SCRIPT)])
    assert (ok.kind, ok.problems) == ("tabletop-script", [])
    bad = tmp_path / "bad.yaml"
    bad.write_text("tabletop-script: 1\nactions:\n  - {at: 1m, action: pause}\n  - {at: 30s, action: resume}\n")
    [checked] = check_files([bad])
    assert [str(p) for p in checked.problems] == [
        f"{bad}:4:10: actions[1].at: expected a time from 1m on: times in a script must not go backwards"]
