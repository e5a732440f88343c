"""round3 is round(x, 3) exactly: the same float (sign of zero included) for every input."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.clock import round3


def same(a, b):
    return type(a) is type(b) and (a == b or (a != a and b != b)) and math.copysign(1, a) == math.copysign(1, b)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.floats(), st.floats(0, 1e7), st.floats(0, 10), st.floats(2**39, 2**41), st.integers(-10**9, 10**9)))
def test_round3_is_round_to_three_places(x):
    assert same(round3(x), round(x, 3))


def test_near_ties_and_clock_values():
    rng = random.Random(7)
    xs = [0.0, -0.0, 0.0005, 0.0015, 2.0005, 1e-9, 5e-324, 2.0 ** 40, 2.0 ** 40 - 0.5, math.inf, math.nan]
    for _ in range(200_000):
        k = rng.randrange(0, 10**10)
        xs += [(k + 0.5) / 1000, k / 1000, (k + rng.choice([0.4995, 0.5005, 0.49999999, 0.50000001])) / 1000,
               rng.uniform(0, 3e5), math.nextafter((k + 0.5) / 1000, math.inf)]
    for x in xs:
        assert same(round3(x), round(x, 3)), x
