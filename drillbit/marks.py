"""Marks people record during a game day: which kinds there are, how a near miss is
answered, and the client that sends one to a running game day's receiver.

The client uses urllib (the command line needs no HTTP library of its own) and never a
proxy from the environment: the receiver is on loopback, and an ``http_proxy`` set for
the internet must not carry the game day's token elsewhere.
"""

from __future__ import annotations

import difflib
import json
import urllib.error
import urllib.request
from typing import Any

from chaos.gameday import MARK_KINDS
from scenarios import DrillbitError
from scenarios.timeline import Event

#: How long a mark may take to be answered, in seconds (the receiver answers at once).
TIMEOUT = 10.0

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class MarkError(DrillbitError):
    """A mark that was not recorded: not a mark kind, the game day unreachable, or
    refused by it (its own message)."""


def mark_kind_problem(kind: str) -> str | None:
    """Why ``kind`` is not a mark (with the nearest one), or None when it is one."""
    if kind in MARK_KINDS:
        return None
    guess = difflib.get_close_matches(kind.lower(), MARK_KINDS, n=1, cutoff=0.5)
    hint = f"; did you mean '{guess[0]}'?" if guess else ""
    return f"unknown mark {kind!r}{hint} (one of {', '.join(MARK_KINDS)})"


def send_mark(url: str, token: str, mark: dict[str, Any]) -> list[Event]:
    """POST ``mark`` (``{kind, by?, text?, phase?, runbook?}``) to the game day at
    ``url`` and return the events it recorded. Raises MarkError: the game day's own
    message when it refuses the mark, or why it could not be reached."""
    body = json.dumps({k: v for k, v in mark.items() if v is not None}).encode("utf-8")
    request = urllib.request.Request(url.rstrip("/") + "/marks", data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            answer = _json(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            message = _json(exc.read()).get("error") or f"HTTP {exc.code}"
        if exc.code == 401:
            raise MarkError(f"the game day at {url} refused the token; the token is in its state file "
                            "(leave out --url and --token to use it)") from None
        raise MarkError(message) from None
    except urllib.error.URLError as exc:
        raise MarkError(f"cannot reach the game day at {url}: {_reason(exc.reason)}; is it still running?") from None
    except (TimeoutError, OSError) as exc:
        raise MarkError(f"cannot reach the game day at {url}: {_reason(exc)}") from None
    try:
        return [Event.model_validate(e) for e in answer["events"]]
    except (KeyError, TypeError, ValueError):
        raise MarkError(f"{url} answered, but not as a drillbit game day does") from None


def _json(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    if isinstance(reason, TimeoutError):
        return "no answer in time"
    return str(reason)
