"""The stages of a scenario: what loads, and the positioned errors of what does not."""

from __future__ import annotations

from textwrap import dedent

import pytest

from scenarios import InputError, Scenario, loads

BASE = """
id: two-stage
title: Two stages
kind: breach
severity: P1
services: [laptop, storage]
STAGES
injects:
  - at: 0s
    fault: {kind: malware, service: laptop, impact: none}
  - at: 3w
    stage: vault
    fault: {kind: exfiltration, service: storage, impact: none}
"""
TWO = """stages:
  - {id: laptop, title: A laptop}
  - {id: vault, title: The vault, survives_containment: true, contain: {median: 1d, p90: 3d}}"""


def load(stages: str) -> Scenario:
    return loads(dedent(BASE.replace("STAGES", stages)), Scenario, "scenario.yaml")


def test_stages_load_with_their_defaults():
    sc = load(TWO)
    assert [(s.id, s.survives_containment) for s in sc.stages] == [("laptop", False), ("vault", True)]
    assert sc.stages[1].contain.quantile(0.5) == pytest.approx(86400.0)
    assert [i.stage for i in sc.injects] == [None, "vault"]  # None: the first stage


def test_a_stage_named_without_stages_is_an_error_at_its_place():
    with pytest.raises(InputError) as caught:
        load("")
    # line 12 (the text opens with an empty line, and no stages line is left), after "    stage: "
    assert "scenario.yaml:12:12: injects[1].stage: stage 'vault' is not defined: declare the scenario's 'stages'" in str(caught.value)


def test_a_stage_defined_twice_is_an_error_at_the_second():
    with pytest.raises(InputError) as caught:
        load(TWO.replace("id: vault", "id: laptop"))
    # line 9 is the second stage, its id after "  - {id: "; the inject's 'vault' is now unknown too
    assert "scenario.yaml:9:10: stages[1].id: stage 'laptop' is defined twice" in str(caught.value)
    assert "injects[1].stage: stage 'vault' is not defined; expected one of: laptop" in str(caught.value)


def test_a_stage_needs_an_id_and_a_title():
    with pytest.raises(InputError) as caught:
        load("stages:\n  - {id: laptop}\n  - {id: vault, title: x}")
    assert "stages[0]" in str(caught.value) and "title" in str(caught.value)
