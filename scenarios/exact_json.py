"""orjson's text where it is provably the standard library's, byte for byte.

drillbit's JSON lines are what ``json.dumps(doc, sort_keys=True, separators=(",", ":"),
ensure_ascii=False, allow_nan=False)`` writes; orjson writes a document several times
faster, and writes the same text for a document made only of these:

- dicts (exactly ``dict``) with keys of exactly ``str``, and scalars of exactly
  ``str``, ``int``, ``float``, ``bool`` and None. Subclasses, enums, UUIDs, dates,
  dataclasses and numpy scalars are refused here: orjson writes some of them where the
  json module writes them otherwise or refuses them;
- strings: both escape ``"``, ``\\``, and the control characters below U+0020 the same
  way (\\b \\f \\n \\r \\t, else \\u00XX) and write every other code point as it is
  (checked over all of them in the tests); a lone surrogate makes orjson raise;
- keys sorted by code point: orjson sorts by UTF-8 bytes, the same order;
- integers: the same digits; outside [-2**63, 2**64 - 1] orjson raises;
- floats: the same shortest round-trip digits as ``float.__repr__``, written the same
  way for 0 and for magnitudes of 1e-4 and above. Below 1e-4 orjson writes
  ``0.00001`` and ``2.5e-7`` where json writes ``1e-05`` and ``2.5e-07``, so such
  floats are refused; NaN and infinities too (orjson writes null where json, with
  allow_nan=False, raises).

Anything else, or any orjson error, is left to the caller's json path (None here).
"""

from __future__ import annotations

from datetime import datetime
from itertools import chain, compress, repeat
from operator import eq, mul, not_, truediv
from typing import Any, Sequence

import orjson

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)
_dumps = orjson.dumps
_SCALARS = frozenset((str, int, float, bool, type(None)))
#: The smallest magnitude (besides 0) whose float orjson writes as repr does.
SMALLEST_FLOAT = 1e-4
_is_float = float.__instancecheck__
_values = dict.values
_add = float.__add__
_chain = chain.from_iterable


#: Below this magnitude a float's ulp is under 2**-23 s: far finer than a millisecond.
_MS_LIMIT = 2.0 ** 30


def whole_ms(ts: Sequence[float]) -> bool:
    """Whether ``round(t, 3) == t`` for every float ``t`` (each is already rounded to
    milliseconds), shown without calling ``round(t, 3)`` (half a microsecond each).
    Each t is checked to be the double nearest to k/1000 for an integer k (the k of
    ``round(t * 1000)``): such a t lies within half an ulp of k/1000, so k/1000 is its
    rounding to 3 decimals and round(t, 3), the double nearest to that, is t itself."""
    if not ts:
        return True
    try:
        if not (-_MS_LIMIT < min(ts) and max(ts) < _MS_LIMIT):
            return False
        return all(map(eq, map(truediv, map(round, map(mul, ts, repeat(1000.0))), repeat(1000.0)), ts))
    except (ValueError, OverflowError, TypeError):  # NaN, an infinity, not a float
        return False


def plain_scalars(values: Sequence[Any]) -> bool:
    """Whether every value is a scalar orjson writes as json does (see the module)."""
    types = set(map(type, values))
    if not types <= _SCALARS:
        return False
    if float in types:
        floats = list(filter(_is_float, values))
        total = sum(floats)
        # NaN or an infinity makes the sum one (so does a finite sum past 1.8e308: refused alike).
        if not total - total == 0.0:
            return False
        if min(filter(None, map(abs, floats)), default=1.0) < SMALLEST_FLOAT:
            return False
    return True


def plain_dicts(dicts: Sequence[Any]) -> bool:
    """Whether each item is a dict of :func:`plain_scalars` values (nested lists and
    dicts are refused: rare, and left to the json path). Keys are not looked at: orjson
    refuses every key that is not exactly a str, and a dict subclass (raising
    JSONEncodeError), where json would write it as its own text."""
    try:
        values = list(_chain(map(_values, dicts)))
    except TypeError:  # not a dict
        return False
    return plain_scalars(values)


def dumps(obj: Any) -> str | None:
    """orjson's text of a dict of :func:`plain_dicts` form, else None."""
    if not plain_dicts((obj,)):
        return None
    try:
        return _dumps(obj, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return None


def timeline_line(scenario: Any, mode: Any, seed: Any, run: Any, started_at: datetime, team: Any,
                  events: Sequence[Sequence[Any]], schema: int, proven: set[int] | frozenset[int],
                  rounded: bool = False) -> str | None:
    """A timeline's JSON line (events as (t, kind, actor, subject, data), ``t`` rounded to
    milliseconds, no -0.0) as orjson writes it, or None unless every part is of a form
    orjson writes as json does. ``proven``: ids of data dicts already shown to be (held
    alive, unchanged, by their owner), which are not looked at again. ``rounded``: the
    caller vouches that every t is a float already equal to ``round(t, 3) + 0.0``."""
    if not events:
        ts = ks = actors = subjects = datas = ()
    else:
        if set(map(len, events)) != {5}:
            return None
        ts, ks, actors, subjects, datas = zip(*events)
        if set(map(type, ts)) != {float}:
            return None
    if not rounded:
        # round(t, 3) + 0.0: whole milliseconds, and -0.0 written as 0.0
        ts = list(map(_add, ts if whole_ms(ts) else map(round, ts, repeat(3)), repeat(0.0)))
    total = sum(ts)
    if not total - total == 0.0:  # NaN or an infinity (or a sum past 1.8e308: refused alike)
        return None
    # (a rounded t is 0 or at least 0.001 in magnitude: above SMALLEST_FLOAT)
    started = started_at.isoformat()
    if not set(map(type, chain(ks, actors, subjects))) <= {str}:
        if not plain_scalars([*ks, *actors, *subjects]):
            return None
    if not plain_scalars((scenario, mode, seed, run, started, team, schema)):
        return None
    fresh = list(compress(datas, map(not_, map(proven.__contains__, map(id, datas))))) if proven else datas
    if not plain_dicts(fresh):
        return None
    doc = {"events": [{"actor": a, "data": d, "kind": k, "subject": s, "t": t}
                      for t, k, a, s, d in zip(ts, ks, actors, subjects, datas)],
           "mode": mode, "run": run, "scenario": scenario, "schema": schema, "seed": seed,
           "started_at": started, "team": team}
    try:
        return _dumps(doc, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return None

