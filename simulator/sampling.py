"""Distributions compiled to plain functions of a Generator.

Each sampler makes exactly the numpy call :meth:`scenarios.Dist.sample` makes, so the
draws are the same; it only skips the per-call shape detection, which dominates the
cost of a draw inside a simulation run.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from scenarios import Dist

Sampler = Callable[[np.random.Generator], float]


def compile_dist(dist: Dist) -> Sampler:
    """A function ``rng -> seconds`` drawing from ``dist``."""
    shape = dist.shape
    if shape == "fixed":
        value = float(dist.fixed)
        return lambda rng: value
    if shape == "uniform":
        lo, hi = float(dist.min), float(dist.max)
        return lambda rng: float(rng.uniform(lo, hi))
    if shape == "triangular":
        a, c, b = float(dist.min), float(dist.mode), float(dist.max)
        if a == b:
            return lambda rng: a
        return lambda rng: float(rng.triangular(a, c, b))
    if shape == "lognormal":
        mu, sigma = dist._lognormal()
        return lambda rng: float(rng.lognormal(mu, sigma))
    mean = float(dist.mean)
    return lambda rng: float(rng.exponential(mean))


class Samplers:
    """Compiled samplers, one per distinct Dist object (models are immutable)."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Dist, Sampler]] = {}

    def __call__(self, dist: Dist) -> Sampler:
        hit = self._by_id.get(id(dist))
        if hit is None:
            hit = (dist, compile_dist(dist))  # keep dist alive so its id stays unique
            self._by_id[id(dist)] = hit
        return hit[1]


def ceil_div(x: float, step: float) -> int:
    """The smallest k with k*step >= x, tolerant of float noise (x, step in seconds)."""
    return math.ceil(x / step - 1e-9)
