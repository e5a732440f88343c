"""Live game days: real faults in Docker containers, always restored, measured by
probes. The only package that imports ``docker``; it never imports ``simulator``.

Every Docker engine is reached through :func:`chaos.engine.connect` (the local engine,
``DOCKER_HOST``, or a target's own ``host``).
"""

from .engine import connect
from .errors import ChaosError

__all__ = ["ChaosError", "connect"]
