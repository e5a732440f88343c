"""The simulator's error: inputs or calls it cannot run."""

from __future__ import annotations

from scenarios.errors import DrillbitError


class SimulationError(DrillbitError):
    """Inputs the simulator cannot run (e.g. a naive start time)."""
