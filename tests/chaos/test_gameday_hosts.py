"""One game day across two engine addresses: a target with its own `host:` is found,
faulted, restored and recorded through that address, the other through the default.

The second address is a relay of the test's own in front of this machine's engine (no
second engine runs here): what matters is that every call for that target goes through
the address the scenario names, and that the ledger keeps it for a restore."""

from __future__ import annotations

import shutil
import socket
import socketserver
import tempfile
import textwrap
import threading
import uuid
from pathlib import Path

import pytest

from chaos.gameday import GameDay
from chaos.ledger import Ledger
from scenarios.loader import load_team, loads
from scenarios.scenario import Scenario

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
ENGINE = "/var/run/docker.sock"


class Relay(socketserver.ThreadingUnixStreamServer):
    """A unix socket that passes every connection on to the engine's, counting them."""

    daemon_threads = True

    def __init__(self, path: Path) -> None:
        self.connections = 0
        super().__init__(str(path), _Pipe)


class _Pipe(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.connections += 1
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(ENGINE)

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        back.start()
        pump(self.request, upstream)
        back.join(5)
        upstream.close()


@pytest.fixture
def relay():
    if not Path(ENGINE).exists():
        pytest.skip(f"no engine socket at {ENGINE}")
    # A unix socket's path must fit in 108 bytes; tmp_path, deeper under xdist
    # (.../popen-gw1/test_a_target_on_another_engin0/), can be longer than that.
    folder = Path(tempfile.mkdtemp(prefix="relay-"))
    path = folder / "engine.sock"
    server = Relay(path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"unix://{path}"
    server.shutdown()
    server.server_close()
    shutil.rmtree(folder, ignore_errors=True)


def test_a_target_on_another_engine_address_is_faulted_restored_and_recorded_through_it(make_container, relay,
                                                                                         tmp_path):
    server, url = relay
    tag = uuid.uuid4().hex[:8]
    here = make_container(name=f"t-hosts-here-{tag}")
    there = make_container(name=f"t-hosts-there-{tag}")
    scenario = loads(textwrap.dedent(f"""\
        id: t-hosts
        title: Two engines
        kind: outage
        severity: P1
        services: [api]
        injects:
          - at: 0s
            fault: {{kind: crash, service: api}}
        live:
          end: recovered
          limit: 30s
          healthy_for: 500ms
          targets:
            here: {{names: [{here.name}]}}
            there: {{names: [{there.name}], host: "{url}"}}
          faults:
            - {{at: 0s, kind: pause, target: here, duration: 1s}}
            - {{at: 0s, kind: pause, target: there, duration: 1s}}
          probes:
            - {{name: here, health: true, target: here, every: 200ms}}
            - {{name: there, health: true, target: there, every: 200ms}}
        """), Scenario)
    ledger = Ledger(tmp_path / "ledger.jsonl")
    before = server.connections
    tl = GameDay(scenario, load_team(ROOT / "examples" / "team.yaml"), seed=1, ledger=ledger).run()

    assert server.connections > before  # the second target's calls went through its address
    by_name = {e.restore.name: e for e in ledger.entries()}
    assert by_name[here.name].restore.host is None
    assert by_name[there.name].restore.host == url
    assert all(e.state == "restored" for e in by_name.values())
    assert ledger.outstanding() == []
    for c in (here, there):
        c.reload()
        assert c.status == "running" and not c.attrs["State"]["Paused"]
    applied = [e.subject for e in tl.events if e.kind == "fault_applied"]
    restored = [e.subject for e in tl.events if e.kind == "fault_restored"]
    assert sorted(applied) == sorted(restored) == ["here", "there"]
