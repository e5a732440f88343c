"""A game-day runner in its own process, for the SIGTERM test: it plays the scenario,
says ``applied`` on stdout once a fault is in, and when a SIGTERM unwinds it prints the
timeline it recorded as one JSON line and exits 143.

    python gameday_runner.py SCENARIO.yaml TEAM.yaml LEDGER
"""

from __future__ import annotations

import sys
from pathlib import Path

from chaos.gameday import GameDay
from chaos.ledger import Ledger
from chaos.session import Terminated
from scenarios.loader import load_team, loads
from scenarios.scenario import Scenario


def main() -> int:
    scenario_path, team_path, ledger_path = sys.argv[1:4]
    scenario = loads(Path(scenario_path).read_text(encoding="utf-8"), Scenario, scenario_path)
    game = GameDay(scenario, load_team(team_path), seed=1, ledger=Ledger(ledger_path))

    def said(event) -> None:
        if event.kind == "fault_applied":
            sys.stdout.write("applied\n")
            sys.stdout.flush()

    game.subscribe(on_event=said)
    try:
        game.run()
    except Terminated:
        sys.stdout.write(game.timeline().to_json_line() + "\n")
        sys.stdout.flush()
        return 143
    return 0


if __name__ == "__main__":
    sys.exit(main())
