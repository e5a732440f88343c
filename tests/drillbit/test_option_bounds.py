"""Numeric options take only values that mean something, and say which when not."""

from __future__ import annotations

import csv
from pathlib import Path

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simulator
from drillbit import drills
from drillbit.analysis import compare, power
from drillbit.cli import demo


@pytest.fixture
def durations(tmp_path) -> Path:
    path = tmp_path / "incidents.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["seconds_to_resolve"])
        w.writerows([[60 * (i + 1)] for i in range(12)])
    return path


OUT_OF_BOUNDS = [
    (["--alpha", "1.5"], "--alpha"), (["--alpha", "0"], "--alpha"), (["--alpha", "1"], "--alpha"),
    (["--alpha", "-0.1"], "--alpha"), (["--alpha", "nan"], "--alpha"),
    (["--improvement", "100%"], "--improvement"), (["--improvement", "0"], "--improvement"),
    (["--improvement", "1.5"], "--improvement"),
    (["--power", "100%"], "--power"), (["--power", "0%"], "--power"),
    (["--per-group", "1"], "--per-group"), (["--per-group", "1000000000"], "--per-group"),
    (["--trials", "99"], "--trials"), (["--trials", "1000000000"], "--trials"),
    (["--seed", "-1"], "--seed"), (["--seed", str(2**64)], "--seed"),
]


@pytest.mark.parametrize("args,option", OUT_OF_BOUNDS)
def test_power_refuses_an_option_out_of_bounds_and_names_it(cli, durations, args, option):
    code, _, err = cli("power", str(durations), *args)
    assert code == 2 and option in err and "internal error" not in err


@pytest.mark.parametrize("alpha", ["1.5", "0", "1", "-2", "inf"])
def test_compare_refuses_an_alpha_outside_0_1(cli, tmp_path, alpha):
    f = tmp_path / "t.jsonl"
    f.write_text("")
    code, _, err = cli("compare", str(f), str(f), "--alpha", alpha)
    assert code == 2 and "--alpha" in err and "0<x<1" in err


@pytest.mark.parametrize("command,runs", [("simulate", "0"), ("simulate", "1000001"), ("demo", "0"), ("demo", "1000001")])
def test_runs_are_bounded_before_anything_runs(cli, tmp_path, monkeypatch, command, runs):
    monkeypatch.setattr(simulator, "simulate_chunks", lambda *a, **k: pytest.fail("simulated"))
    args = ["simulate", "config-push-global-outage", "--no-log"] if command == "simulate" else ["demo", "--out", str(tmp_path / "d")]
    code, _, err = cli(*args, "--runs", runs)
    assert code == 2 and "--runs" in err


def test_power_with_too_few_durations_is_a_message_not_a_crash(cli, tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("seconds_to_resolve\n60\n120\n180\n")
    code, _, err = cli("power", str(path))
    assert code == 2 and "at least 4" in err and "internal error" not in err


def test_power_still_runs_at_the_edges_of_the_bounds(cli, durations):
    code, out, err = cli("power", str(durations), "--alpha", "0.999", "--improvement", "99%", "--power", "99%",
                         "--trials", "100", "--per-group", "2", "--json")
    assert code == 0, err


# -- fuzz: whatever is typed, an option parses within its bounds or is refused --------

BOUNDS = {
    (power, "alpha"): (0, 1, False), (compare, "alpha"): (0, 1, False), (power, "improvement"): (0, 1, False),
    (power, "target_power"): (0, 1, False), (power, "per_group"): (2, 20_000, True), (power, "trials"): (100, 100_000, True),
    (power, "seed"): (0, 2**63 - 1, True), (demo, "runs"): (1, 1_000_000, True), (drills.simulate, "runs"): (1, 1_000_000, True),
}


def _parse(command: click.Command, name: str, text: str):
    param = next(p for p in command.params if p.name == name)
    ctx = click.Context(command)
    value = param.type_cast_value(ctx, text)
    if param.callback is not None:
        value = param.callback(ctx, param, value)
    return value


numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**20, 10**20).map(str),
                    st.text(max_size=12), st.floats(-200, 200).map(lambda x: f"{x}%"))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(BOUNDS, key=lambda k: (k[0].name, k[1]))), numbers)
def test_numeric_options_parse_within_bounds_or_refuse(key, text):
    low, high, closed = BOUNDS[key]
    try:
        value = _parse(*key, text)
    except click.BadParameter:
        return
    if closed:
        assert low <= value <= high
    else:
        assert low < value < high
