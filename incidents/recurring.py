"""Action items of recurring findings: a drill that finds what an earlier drill of the
same scenario found updates that finding's item instead of adding another.

The item of a finding is keyed by :func:`records.finding_key` (scenario, rule,
subject). Seen again while open (or dropped: someone decided not to do it), it counts
one more sighting; seen again after it was done, the fix did not hold, so it opens
again as a regression with the new drill's due date.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import Connection, and_, update

from scoring import ActionItem

from . import schema as s
from .records import finding_key


def track_action_items(conn: Connection, scenario: str, run_id: int, items: Iterable[ActionItem],
                       finding_ids: Mapping[tuple[str, str], int], now: float) -> dict[str, int]:
    """Add or update the item of each of a drill's action items. Returns how many were
    ``new``, ``seen again`` and ``reopened``. Runs inside
    the caller's transaction; safe against a concurrent drill of the same scenario
    (the unique key decides, and the loser updates instead)."""
    t = s.action_items.c
    counts = {"new": 0, "seen again": 0, "reopened": 0}
    done: set[str] = set()
    for a in items:
        rule, subject = a.rule, a.subject
        key = finding_key(scenario, rule, subject)
        if key in done:  # one drill reporting a finding twice saw it once
            continue
        done.add(key)
        added = conn.execute(s.insert(conn, s.action_items).values(
            title=a.title, owner=a.owner or "unassigned", due=a.due,
            status="open", severity=a.severity, finding_id=finding_ids.get((rule, subject)), incident_id=None,
            drill_run_id=run_id, note=None, created_at=now, closed_at=None, finding_key=key, times_seen=1,
            last_seen=now, regression=False, reopened_at=None,
        ).on_conflict_do_nothing(index_elements=["finding_key"]).returning(s.action_items.c.id)).first()
        if added is not None:
            counts["new"] += 1
            continue
        reopened = conn.execute(update(s.action_items).where(and_(t.finding_key == key, t.status == "done")).values(
            status="open", regression=True, reopened_at=now, closed_at=None, due=a.due))
        conn.execute(update(s.action_items).where(t.finding_key == key).values(
            times_seen=t.times_seen + 1, last_seen=now))
        counts["reopened" if reopened.rowcount else "seen again"] += 1
    return counts
