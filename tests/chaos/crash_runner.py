"""A game-day runner that dies mid-fault, for the crash tests: it applies the faults it
is given (holding them, as the real runner will), says so on stdout, and waits to be
SIGKILLed, so nothing of its own restores them.

    python crash_runner.py LEDGER watchdog|alone '[[kind, container_id, params], ...]'
"""

from __future__ import annotations

import json
import sys
import time

from chaos.engine import connect
from chaos.faults import FAULTS
from chaos.ledger import Ledger
from chaos.session import held_faults
from chaos.watchdog import start_watchdog


def main() -> None:
    ledger_path, mode, plan = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    watchdog = start_watchdog(ledger_path) if mode == "watchdog" else None
    client = connect()
    with held_faults(Ledger(ledger_path)) as held:
        for kind, container_id, params in plan:
            held.apply(client, FAULTS[kind](**params), client.containers.get(container_id))
        sys.stdout.write(json.dumps({"watchdog": watchdog}) + "\n")
        sys.stdout.flush()
        time.sleep(300)


if __name__ == "__main__":
    main()
