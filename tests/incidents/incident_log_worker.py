"""A separate process that writes to an incident log, for the concurrency and crash
tests:

    python incident_log_worker.py add URL N TAG GO_FILE       # N incidents, one transaction each
    python incident_log_worker.py import URL FILE GO_FILE     # one import
    python incident_log_worker.py hang-import URL FILE MARKER # import; hang after the first chunk is written
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from incidents import Incident, add_incident, import_file, open_store


def wait_for(go: Path) -> None:
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("never told to go")
        time.sleep(0.01)


def main(argv: list[str]) -> int:
    command, url = argv[0], argv[1]
    store, _ = open_store(url)
    if command == "add":
        n, tag, go = int(argv[2]), argv[3], Path(argv[4])
        wait_for(go)
        t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
        for i in range(n):
            add_incident(store, Incident(title=f"{tag} {i}", started=t0 + timedelta(minutes=i), service=tag,
                                         resolved=t0 + timedelta(minutes=i + 5), tags=(tag,)))
    elif command == "import":
        path, go = Path(argv[2]), Path(argv[3])
        wait_for(go)
        import_file(store, path, chunk=200)
    elif command == "hang-import":
        path, marker = Path(argv[2]), Path(argv[3])

        def progress(rows: int) -> None:
            marker.write_text(str(rows))
            time.sleep(600)  # killed here, mid-transaction

        import_file(store, path, chunk=500, progress=progress)
    elif command == "slow-import":
        path = Path(argv[2])
        import_file(store, path, chunk=500, progress=lambda rows: time.sleep(0.02))
    else:
        raise SystemExit(f"unknown command {command}")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
