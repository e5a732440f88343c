"""The fault catalogue: one class per fault kind, registered in :data:`FAULTS`.

Each fault has four steps — apply, verify it is in effect, restore, verify it is gone —
and a restore that works from the ledger's record alone (after the runner was killed)
and may run any number of times.
"""

from .base import FAULTS, Fault, FaultError, Restore, register
from . import container, data, network, proxied, resources  # noqa: E402,F401 - importing a family registers its kinds

__all__ = ["FAULTS", "Fault", "FaultError", "Restore", "register"]
