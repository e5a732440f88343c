"""Errors of the chaos package; all are :class:`scenarios.DrillbitError` subclasses."""

from __future__ import annotations

from scenarios import DrillbitError


class ChaosError(DrillbitError):
    """Base of the chaos package's errors: an engine that does not answer, a target that
    matches nothing, a fault that cannot be applied here (with what is missing)."""


class EngineError(ChaosError):
    """A Docker engine that cannot be reached or refused a call."""
