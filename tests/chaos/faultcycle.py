"""The cycle every fault test walks, as a runner would: check, prepare, (the ledger
would write the record here), apply, verify applied; then restore from the record
rebuilt from JSON (all a SIGKILLed runner leaves) and twice more (idempotent)."""

from __future__ import annotations

import json
from dataclasses import asdict

from chaos.faults import FAULTS, Restore


def applied(client, container, kind: str, **params) -> Restore:
    """Apply fault ``kind`` to ``container``; its record."""
    fault = FAULTS[kind](**params)
    fault.check(client, container)
    restore = Restore(kind=kind, container=container.id, name=container.name, data=fault.prepare(client, container))
    fault.apply(client, container, restore)
    fault.verify_applied(client, container, restore)
    return restore


def restored(client, restore: Restore) -> None:
    """Restore from the record rebuilt from JSON, then twice from the original; each must
    succeed, and verify_restored must find nothing left."""
    cls = FAULTS[restore.kind]
    rebuilt = Restore(**json.loads(json.dumps(asdict(restore))))
    cls.restore(client, rebuilt)
    cls.restore(client, restore)
    cls.restore(client, restore)
    cls.verify_restored(client, rebuilt)
