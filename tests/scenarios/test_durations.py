import pytest
from hypothesis import given, strategies as st

from scenarios import format_duration, parse_duration
from scenarios.durations import MAX_SECONDS


@pytest.mark.parametrize("text, seconds", [
    ("30s", 30), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("1w", 604800),
    ("500ms", 0.5), ("1.5h", 5400), ("1d2h3m4s", 93784),
])
def test_parses_what_people_write(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text, hint", [
    ("5 min", "did you mean '5m'?"), ("30 seconds", "did you mean '30s'?"), ("90", "did you mean '90s'?"),
    ("2 hours", "did you mean '2h'?"),
])
def test_common_mistakes_get_a_fix(text, hint):
    with pytest.raises(ValueError, match="expected a duration") as info:
        parse_duration(text)
    assert info.value.args[0].endswith(hint)


def test_units_must_run_from_largest_to_smallest():
    with pytest.raises(ValueError, match="largest to smallest"):
        parse_duration("30m1h")


def test_offsets_may_be_negative_only_when_allowed():
    assert parse_duration("-6h", signed=True) == -21600
    with pytest.raises(ValueError, match="not negative"):
        parse_duration("-6h")


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (0.25, "250ms"), (45, "45s"), (5400, "1h30m"), (90061, "1d1h1m1s"), (2.5, "2.5s")])
def test_formats_the_way_yaml_writes(seconds, text):
    assert format_duration(seconds) == text


def test_never_for_an_infinite_time():
    assert format_duration(float("inf")) == "never"


@given(st.integers(min_value=1, max_value=int(MAX_SECONDS)))
def test_whole_seconds_round_trip(n):
    assert parse_duration(format_duration(n)) == n
