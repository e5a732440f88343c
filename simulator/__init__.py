"""The simulator: scenario x team x runbooks -> Timeline on a SimPy clock, one run or a
Monte Carlo batch, and a readable rendering of a run.

Only this package imports simpy.
"""

from .assumptions import DEFAULT_ASSUMPTIONS, Assumptions
from .batch import simulate_many
from .engine import DEFAULT_HORIZON, SimulationError, run_plan, simulate
from .explain import explain
from .plan import Plan

__all__ = [
    "Assumptions", "DEFAULT_ASSUMPTIONS", "DEFAULT_HORIZON", "Plan", "SimulationError", "explain", "run_plan",
    "simulate", "simulate_many",
]
