"""The simulator's error: inputs or calls it cannot run."""

from __future__ import annotations

from scenarios.errors import DrillbitError


class SimulationError(DrillbitError):
    """Inputs the simulator cannot run (e.g. a naive start time)."""


class TabletopError(SimulationError):
    """An action a tabletop cannot take now (nothing to acknowledge, a step of a runbook
    that was not started, a facilitator's action from the room, an action after the
    hot wash). The message says why and what to do instead; nothing changed."""
