"""The ``schedule`` section of ``drillbit.yaml``: drills that run on a cron schedule.

Cron expressions are read by ``cronsim`` (this package owns it; nothing else imports
it). cronsim rather than croniter: it has no dependencies, is small and actively
kept, and it follows Debian cron on daylight-saving changes, which is what people
expect of a cron line: a job at a fixed hour that falls into the hour skipped in
spring runs once right after the jump, and one in the hour repeated in autumn runs
once, not twice. croniter was declared unmaintained in late 2024 before others took
it over; cronsim has been kept by one project (Healthchecks.io) all along.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Iterator, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from .base import Id, Model
from .common import TimeZone, zone
from .durations import Duration, describe
from .team import Away
from .windows import Windows

Mode = Literal["simulate", "gameday", "tabletop"]
Rule = Literal["least-recent", "weakest", "open-actions"]
CatchUp = Literal["run-once", "all", "skip"]
MODES: tuple[str, ...] = ("simulate", "gameday", "tabletop")
RULES: tuple[str, ...] = ("least-recent", "weakest", "open-actions")
#: A fixed instant cron lines are checked against when loaded: validity does not
#: depend on the day a file is read.
_CHECKED_FROM = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _check_cron(value: str) -> str:
    text = " ".join(str(value).split())
    if len(text.split()) != 5:
        raise ValueError(f"expected a cron expression of five fields (minute hour day-of-month month day-of-week) "
                         f"such as '0 10 * * Tue', got {describe(value)}")
    from cronsim import CronSim, CronSimError  # read when a schedule is: not by every command that loads a workspace

    try:
        next(CronSim(text, _CHECKED_FROM))
    except (CronSimError, StopIteration) as exc:
        reason = str(exc) or "it never matches"
        reason = reason[0].lower() + reason[1:]  # cronsim says "Bad minute"
        raise ValueError(f"expected a cron expression such as '0 10 * * Tue', got {describe(value)}: {reason}") from None
    return text


#: A five-field cron expression, checked by cronsim when the file is loaded.
Cron = Annotated[str, AfterValidator(_check_cron), Field(examples=["0 10 * * Tue", "30 14 * * Thu#1"])]


class Blackout(Away):
    """A date range in which no scheduled drill runs (a change freeze, a holiday).
    Dates are whole days in the entry's zone; date-times are instants."""

    reason: str | None = Field(None, description="what the blackout is, shown when it skips a drill")


class Guards(Model):
    """When a live game day must not start. A guard that stops one is reported with its reason."""

    open_incident: bool = Field(True, description="skip while a real incident in the incident log is unresolved")
    # "off" rather than null: a null in the schema is what an editor would complete the field as.
    max_pages: Annotated[int, Field(ge=0)] | Literal["off"] = Field(
        3, description="skip when the primary on-call has had more than this many real pages in the last 24h "
                       "(incidents paged while they were on call), e.g. 2; off: no limit")


class Entry(Model):
    """One scheduled drill: when (cron line in a zone), how (mode), who (team) and what
    (one scenario, or a pool chosen from by a rule)."""

    id: Id = Field(description="the entry's name; the incident log keeps its runs under it")
    cron: Cron = Field(description="when it is due: minute hour day-of-month month day-of-week, in 'timezone'")
    timezone: TimeZone = Field("UTC", description="the IANA zone the cron line and the blackout dates are read in")
    mode: Mode = Field("simulate", description="simulate: a simulated drill; gameday: a live game day; "
                                               "tabletop: write the facilitator's pack for a tabletop drill")
    team: str | None = Field(None, description="team file, relative to drillbit.yaml (default: the workspace's team)")
    rotation: Id | None = Field(None, description="the rotation whose on-call is the primary (default: 'primary', "
                                                  "else the team's first rotation)")
    scenario: str | None = Field(None, description="the scenario to drill: an id in the workspace or built in; or give 'pool'")
    pool: list[str] | None = Field(None, min_length=1, description="scenario ids to choose from, by 'rule'")
    rule: Rule = Field("least-recent", description="how a pool is chosen from: least-recent (drilled longest ago "
                       "by this team), weakest (worst last scorecard) or open-actions (most open action items)")
    runs: int = Field(100, ge=1, le=1_000_000, description="simulate: Monte Carlo runs")
    window: Duration | None = Field(None, description="simulate: draw each run's start from [due, due + window)")
    hours: Windows | None = Field(None, description="weekly windows in 'timezone' the drill may start in, "
                                  "e.g. 'Mon-Thu 10:00-16:00'; outside them it is skipped")
    blackouts: list[Blackout] = Field(default_factory=list, description="date ranges when it never runs")
    respect_away: bool = Field(True, description="gameday and tabletop: skip when the primary on-call is away "
                                                 "(the team file's 'away')")
    guards: Guards = Field(default_factory=Guards, description="gameday: when a live game day must not start")
    catch_up: CatchUp = Field("run-once", description="due times missed by more than 'grace': run-once (the latest "
                              "of them), all, or skip (recorded as skipped)")
    grace: Duration = Field(3600.0, description="how late a due time may still run as on time")

    @field_validator("pool")
    @classmethod
    def _not_both(cls, pool: list[str] | None, info: ValidationInfo) -> list[str] | None:
        # Here rather than only on the whole entry: then it is reported with the
        # entry's other problems, not after they are fixed.
        if pool is not None and info.data.get("scenario") is not None:
            raise ValueError("expected 'scenario' (one scenario) or 'pool' (a list to choose from), not both")
        return pool

    @model_validator(mode="after")
    def _one_target(self) -> "Entry":
        if self.scenario is None and self.pool is None:
            raise ValueError("expected 'scenario' (one scenario) or 'pool' (a list to choose from)")
        return self

    @property
    def choices(self) -> list[str]:
        """The scenarios this entry may run, in the order written."""
        return [self.scenario] if self.scenario is not None else list(self.pool or [])


def _unique_ids(entries: list[Entry]) -> list[Entry]:
    seen: set[str] = set()
    for e in entries:
        if e.id in seen:
            raise ValueError(f"expected each entry's id once, got '{e.id}' twice")
        seen.add(e.id)
    return entries


#: The ``schedule`` section: entries with distinct ids.
Schedule = Annotated[list[Entry], AfterValidator(_unique_ids)]


def due_instants(cron: str, tz: str, after: datetime, until: datetime) -> Iterator[datetime]:
    """The instants in (``after``, ``until``] at which ``cron``, read on the wall clock
    of zone ``tz``, is due, in order, as tz-aware datetimes in ``tz``. Daylight-saving
    changes follow Debian cron (see the module's docstring); an instant is never given
    twice. ``after`` and ``until`` must be tz-aware. Raises ValueError for a cron line
    cronsim cannot read (a loaded Entry's never is)."""
    if after.tzinfo is None or until.tzinfo is None:
        raise ValueError("after and until must be tz-aware")
    from cronsim import CronSim, CronSimError

    try:
        sim = CronSim(cron, after.astimezone(zone(tz)))
    except CronSimError as exc:
        raise ValueError(f"cron {cron!r}: {exc}") from None
    last: datetime | None = None
    for at in sim:
        at = at.astimezone(zone(tz))
        if at > until:
            return
        # In an hour that repeats, a wall-clock step can land before the instant
        # before it: such an instant was already due.
        if at > after and (last is None or at > last):
            last = at
            yield at


__all__ = ["Blackout", "CatchUp", "Cron", "Entry", "Guards", "MODES", "Mode", "RULES", "Rule", "Schedule", "due_instants"]
