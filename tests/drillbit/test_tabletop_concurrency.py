"""Twenty browsers at once: twenty clients on loopback, each with its own event stream,
send a burst of actions (notes and status updates) at one console. None is lost and
none is taken twice (the session's journal holds exactly what was sent, each once),
and every view's event stream ends on the same final version and the same page as a
fresh render of the session's state."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from drillbit.tabletop_web import TabletopServer
from reports.tabletop_pages import render_fragments

from tabletop_fake import FIRST_PAGE, real_tabletop

CLIENTS = 20
BURST = 10


class Watcher(threading.Thread):
    """One view's event stream, read to its end (the server's stop), keeping the last update."""

    def __init__(self, base: str, view: str, cookies: httpx.Cookies, seen: threading.Condition) -> None:
        super().__init__(daemon=True)
        self.base, self.view, self.cookies, self.seen = base, view, cookies, seen
        self.last: dict | None = None
        self.updates = 0
        self.connected = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.base, cookies=self.cookies, timeout=30) as client:
                with client.stream("GET", f"/events?view={self.view}") as response:
                    assert response.status_code == 200
                    self.connected.set()
                    for line in response.iter_lines():
                        if line.startswith("data:"):
                            update = json.loads(line[5:])
                            with self.seen:
                                assert self.last is None or update["version"] > self.last["version"]
                                self.last, self.updates = update, self.updates + 1
                                self.seen.notify_all()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
            self.connected.set()


def test_twenty_clients_lose_nothing_duplicate_nothing_and_converge():
    clock = [0.0]
    tabletop, journal = real_tabletop(clock)
    seen = threading.Condition()
    # the scorecard is not what this test is about: a fixed one keeps it quick
    with TabletopServer(tabletop, port=0, standing=lambda: []) as server:
        facilitator = httpx.Client(base_url=server.url)
        assert facilitator.get(server.facilitator_url, follow_redirects=False).status_code == 303
        facilitator.post("/api/action", json={"action": "start"}).raise_for_status()
        clock[0] = FIRST_PAGE + 30
        tabletop.tick()  # the on-call is paged; once acknowledged, the room may post updates
        facilitator.post("/api/action", json={"action": "acknowledge", "page": 1}).raise_for_status()
        before = len(journal)

        watchers = [Watcher(server.url, "facilitator" if i % 4 == 0 else "team",
                            facilitator.cookies if i % 4 == 0 else httpx.Cookies(), seen) for i in range(CLIENTS)]
        for w in watchers:
            w.start()
        for w in watchers:
            assert w.connected.wait(10) and w.error is None

        def burst(client_no: int) -> list[dict]:
            sent = []
            with httpx.Client(base_url=server.url, timeout=30) as client:
                for j in range(BURST):
                    text = f"client {client_no} action {j}"
                    action = ({"action": "note", "text": text, "by": "dana"} if j % 3 else
                              {"action": "update", "phase": "investigating", "text": text, "by": "amara"})
                    r = client.post("/api/action", json=action)
                    assert r.status_code == 200, r.text
                    assert r.json()["entry"]["action"] == action
                    sent.append(action)
            return sent

        with ThreadPoolExecutor(CLIENTS) as pool:
            sent = [a for batch in pool.map(burst, range(CLIENTS)) for a in batch]

        # none lost, none duplicated: the journal's actions are exactly those sent, once each
        taken = [e["action"] for e in journal[before:] if "action" in e]
        assert len(taken) == CLIENTS * BURST
        assert Counter(json.dumps(a, sort_keys=True) for a in taken) == Counter(json.dumps(a, sort_keys=True) for a in sent)
        assert [e["n"] for e in journal] == list(range(1, len(journal) + 1))
        state = tabletop.state(facilitator=False)
        posted = [u["text"] for u in state["status_page"]["updates"]]
        assert Counter(posted) == Counter(a["text"] for a in sent if a["action"] == "update")
        timeline = tabletop.timeline()
        notes = [e.data.get("text") for e in timeline.events if e.kind == "note" and e.actor == "dana"]
        assert Counter(notes) == Counter(a["text"] for a in sent if a["action"] == "note")

        final = tabletop.version
        with seen:
            assert seen.wait_for(lambda: all(w.last and w.last["version"] == final for w in watchers), timeout=30), \
                [w.last and w.last["version"] for w in watchers]
        expected = {"team": render_fragments("team", tabletop.state(facilitator=False)),
                    "facilitator": render_fragments("facilitator", tabletop.state(facilitator=True), standing=[])}
        for w in watchers:
            assert w.last["fragments"] == expected[w.view], w.view
        for text in (a["text"] for a in sent):
            assert text in expected["team"]["record"]
        facilitator.close()
    for w in watchers:
        w.join(10)
        assert not w.is_alive() and w.error is None
