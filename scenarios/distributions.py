"""Uncertain durations as a person can estimate them.

``2m`` is fixed; ``{min, max}`` uniform; ``{min, mode, max}`` triangular;
``{median, p90}`` lognormal (the usual shape of human response and repair times);
``{mean}`` exponential. All values are seconds.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_serializer, model_validator

from .base import Model, Probability
from .durations import DURATION_SCHEMA, Duration, format_duration

if TYPE_CHECKING:  # validating a file never needs numpy; sampling gets a Generator handed in
    import numpy as np

Z90 = NormalDist().inv_cdf(0.9)
SHAPES_FIELDS = ("fixed", "min", "mode", "max", "median", "p90", "mean")
SHAPES: dict[tuple[str, ...], str] = {
    ("fixed",): "fixed",
    ("max", "min"): "uniform",
    ("max", "min", "mode"): "triangular",
    ("median", "p90"): "lognormal",
    ("mean",): "exponential",
}
EXPECTED = (
    "expected a duration ('5m') or a mapping with {min, max}, {min, mode, max}, "
    "{median, p90} or {mean}"
)


def _wrap_fixed(value: Any) -> Any:
    return {"fixed": value} if not isinstance(value, dict) else value


class Dist(Model):
    """A distribution of durations in seconds."""

    fixed: Duration | None = Field(None, description="always this long, e.g. 5m (the same as writing the duration alone)")
    min: Duration | None = Field(None, description="uniform or triangular: the shortest time, e.g. 2m")
    mode: Duration | None = Field(None, description="triangular: the most likely time, between min and max, e.g. 5m")
    max: Duration | None = Field(None, description="uniform or triangular: the longest time, e.g. 20m")
    median: Duration | None = Field(None, description="lognormal, with p90: half the times are shorter, e.g. 5m")
    p90: Duration | None = Field(None, description="lognormal, with median: nine times in ten are shorter, e.g. 20m")
    mean: Duration | None = Field(None, description="exponential: the average time, e.g. 10m")

    @model_validator(mode="before")
    @classmethod
    def _from_scalar(cls, value: Any) -> Any:
        return _wrap_fixed(value)

    @model_validator(mode="after")
    def _check_shape(self) -> "Dist":
        given = tuple(sorted(k for k in SHAPES_FIELDS if getattr(self, k) is not None))
        if given not in SHAPES:
            raise ValueError(f"{EXPECTED}, got {{{', '.join(given)}}}" if given else f"{EXPECTED}, got an empty mapping")
        shape = SHAPES[given]
        if shape in ("uniform", "triangular") and not (self.min <= (self.mode if self.mode is not None else self.min) <= self.max):
            raise ValueError(f"expected min <= mode <= max, got {self.describe()}")
        if shape == "uniform" and self.min == self.max:
            raise ValueError(f"expected min < max, got {self.describe()}; write a single duration for a fixed time")
        if shape == "lognormal" and not (0 < self.median < self.p90):
            raise ValueError(f"expected 0 < median < p90, got {self.describe()}")
        if shape == "exponential" and self.mean <= 0:
            raise ValueError("expected a mean above 0s")
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        # Editors must accept the short form ``takes: 2m`` as well as the mapping, and
        # each mapping only with the keys of one shape: one branch per shape.
        mapping = handler.resolve_ref_schema(handler(core_schema))
        fields = mapping["properties"]
        extra = [k for k in fields if k not in SHAPES_FIELDS]  # AckDist's 'miss'
        branches = []
        for keys, shape in SHAPES.items():
            keys = tuple(sorted(keys, key=SHAPES_FIELDS.index))
            branches.append({"type": "object", "title": f"{shape}: {{{', '.join(keys)}}}",
                             "properties": {k: fields[k] for k in (*keys, *extra)},
                             "required": list(keys), "additionalProperties": False})
        return {"oneOf": [DURATION_SCHEMA, *branches]}

    @property
    def shape(self) -> str:
        """One of fixed, uniform, triangular, lognormal, exponential."""
        return SHAPES[tuple(sorted(k for k in SHAPES_FIELDS if getattr(self, k) is not None))]

    def _lognormal(self) -> tuple[float, float]:
        mu = math.log(self.median)
        return mu, (math.log(self.p90) - mu) / Z90

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one duration in seconds."""
        shape = self.shape
        if shape == "fixed":
            return float(self.fixed)
        if shape == "uniform":
            return float(rng.uniform(self.min, self.max))
        if shape == "triangular":
            if self.min == self.max:
                return float(self.min)
            return float(rng.triangular(self.min, self.mode, self.max))
        if shape == "lognormal":
            mu, sigma = self._lognormal()
            return float(rng.lognormal(mu, sigma))
        return float(rng.exponential(self.mean))

    def quantile(self, q: float) -> float:
        """The q-quantile in seconds, 0 < q < 1."""
        shape = self.shape
        if shape == "fixed":
            return float(self.fixed)
        if shape == "uniform":
            return self.min + q * (self.max - self.min)
        if shape == "triangular":
            a, c, b = self.min, self.mode, self.max
            if b == a:
                return float(a)
            f = (c - a) / (b - a)
            if q < f:
                return a + math.sqrt(q * (b - a) * (c - a))
            return b - math.sqrt((1 - q) * (b - a) * (b - c))
        if shape == "lognormal":
            mu, sigma = self._lognormal()
            return math.exp(mu + sigma * NormalDist().inv_cdf(q))
        return -self.mean * math.log(1 - q)

    def expected(self) -> float:
        """The mean in seconds."""
        shape = self.shape
        if shape == "fixed":
            return float(self.fixed)
        if shape == "uniform":
            return (self.min + self.max) / 2
        if shape == "triangular":
            return (self.min + self.mode + self.max) / 3
        if shape == "lognormal":
            mu, sigma = self._lognormal()
            return math.exp(mu + sigma**2 / 2)
        return float(self.mean)

    def describe(self) -> str:
        """As a person would write it: ``5m`` or ``{median: 4m, p90: 12m}``."""
        parts = {k: getattr(self, k) for k in SHAPES_FIELDS if getattr(self, k) is not None}
        if list(parts) == ["fixed"]:
            return format_duration(self.fixed)
        return "{" + ", ".join(f"{k}: {format_duration(v)}" for k, v in parts.items()) + "}"

    @model_serializer(mode="plain")
    def _serialize(self) -> Any:
        if self.fixed is not None:
            return format_duration(self.fixed)
        return {k: format_duration(getattr(self, k)) for k in SHAPES_FIELDS if getattr(self, k) is not None}



class AckDist(Dist):
    """How quickly someone answers a page, and how often they never do."""

    miss: Probability = Field(0.0, description="probability the page is never answered")

    @model_validator(mode="before")
    @classmethod
    def _from_scalar(cls, value: Any) -> Any:
        return _wrap_fixed(value)

    @model_serializer(mode="plain")
    def _serialize(self) -> Any:
        out = Dist._serialize(self)
        if self.miss:
            out = {"fixed": out} if isinstance(out, str) else dict(out)
            out["miss"] = self.miss
        return out
