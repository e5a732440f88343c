"""Text that came from users, files or databases, made safe to show: without terminal
control sequences, and without credentials. It lives here, at the bottom of the import
graph, because every stage shows such text (the CLI, the reports, the incident log's
messages)."""

from __future__ import annotations

import re

# ESC sequences first, whole, so that no parameter bytes of a sequence (the `[2J` of a
# screen clear, the URL of an OSC 8 link) are left behind once the ESC itself is gone.
_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?               # CSI: cursor moves, clears, colours
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])          # OSC, DCS, SOS, PM, APC ...
      [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?            # ... up to BEL or ST (or the end)
    | \x1b[ -/]*[0-~]?                                 # any other escape (charset, keypad, RIS)
    """,
    re.VERBOSE,
)
# C0 (but tab and newline), DEL, C1, and the invisible characters that reorder or hide
# what follows them (bidi embeddings, overrides and isolates, line/paragraph separators).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\n]")


def printable(text: str, *, one_line: bool = False) -> str:
    """``text`` without control sequences: ESC/CSI/OSC sequences, C0 controls (tab and
    newline stay, unless ``one_line``, which turns them into spaces), DEL, C1 controls
    and bidi overrides. Everything else is kept literally."""
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    return _LINE_BREAKS.sub(" ", text) if one_line else text


# scheme://user:password@host — the password runs to the last '@' before the host, since
# people type unencoded '@' in passwords; quotes and whitespace end it (a URL inside a
# repr or a sentence).
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)(?P<secret>[^\s/'\"]*)(?=@)")
# ?password=... and friends in a URL's query, and key=value pairs of libpq strings.
_PARAM_SECRET = re.compile(r"(?P<head>\b(?:password|passwd|pwd|secret|token|api_key|apikey)=)(?P<secret>[^\s&;'\"]*)",
                           re.IGNORECASE)
HIDDEN = "***"


def redact(text: str) -> str:
    """``text`` with the credentials of any URL in it hidden: ``mysql://admin:PW@db/x``
    -> ``mysql://admin:***@db/x`` (as sqlalchemy renders a URL with ``hide_password``),
    and ``password=PW`` -> ``password=***``."""
    text = _URL_PASSWORD.sub(lambda m: m["head"] + HIDDEN, text)
    return _PARAM_SECRET.sub(lambda m: m["head"] + HIDDEN, text)


def redact_url(url: str) -> str:
    """One URL, as given, with its password hidden, whatever characters the password
    holds (everything between the user's ':' and the last '@')."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if sep and at and ":" in userinfo:
        url = f"{scheme}://{userinfo.partition(':')[0]}:{HIDDEN}@{host}"
    return redact(url)


def shown(text: str, *, one_line: bool = False) -> str:
    """``text`` as it may be shown to a person: :func:`printable` and :func:`redact`."""
    return redact(printable(text, one_line=one_line))
