"""Read a YAML file into plain data plus the position of every key and value.

PyYAML builds the node graph (which carries marks); we construct the data ourselves so
that we can keep those marks, reject duplicate keys, and stop alias bombs, cycles and
runaway nesting with a message instead of a hang or a traceback.

Implicit typing follows YAML 1.2's core schema rather than PyYAML's 1.1 default:
``on``/``no`` stay text and ``17:30`` is not the sexagesimal number 1050.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import InputError, Problem, format_path

MAX_BYTES = 5 * 1024 * 1024
MAX_VALUES = 200_000
MAX_DEPTH = 64

Path_ = tuple[str | int, ...]
# What YAML 1.2 does not allow in a stream (C0 and C1 controls but tab, newlines and
# NEL; lone surrogates; the two non-characters at the end of the BMP).
_NOT_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")

def make_loader(base: type) -> type:
    """A safe loader on ``base`` (libyaml's or the pure-Python one) with YAML 1.2
    core-schema scalars."""
    loader = type("_Loader", (base,), {"__doc__": "A safe loader with YAML 1.2 core-schema scalars."})
    loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag.rsplit(":", 1)[-1] not in ("bool", "int", "float")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
    )
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        list("-+.0123456789"),
    )
    return loader


_Loader: Any = make_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


#: No number a drill needs has more digits; a longer one would only reach Python's
#: limit on converting long integers to text, in the middle of printing a message.
MAX_DIGITS = 30
_INT = re.compile(r"[-+]?(?:0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)")
_FLOAT = re.compile(r"[-+]?(?:(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|\.(?:inf|Inf|INF))|\.(?:nan|NaN|NAN)")
_BOOLS = {"true": True, "false": False}


class _Constructor(SafeConstructor):
    """SafeConstructor for scalars with YAML 1.2 core-schema numbers (0o17, 0x1f).

    Each constructor raises ValueError with what its tag expects, whatever the text,
    also for explicit tags (``!!bool maybe``) that PyYAML's own constructors would
    crash on."""

    def construct_yaml_int(self, node: ScalarNode) -> int:  # type: ignore[override]
        text = self.construct_scalar(node)
        if not _INT.fullmatch(text):
            raise ValueError("")
        body = text.replace("_", "").lstrip("+-")
        sign = -1 if text.startswith("-") else 1
        base = {"0o": 8, "0x": 16}.get(body[:2], 10)
        digits = body[2:] if base != 10 else body
        if not digits:
            raise ValueError("")
        if len(digits.lstrip("0")) > MAX_DIGITS:
            raise ValueError(f"it has more than {MAX_DIGITS} digits")
        return sign * int(digits.lstrip("0") or "0", base)

    def construct_yaml_null(self, node: ScalarNode) -> None:  # type: ignore[override]
        if self.construct_scalar(node) not in ("", "~", "null", "Null", "NULL"):
            raise ValueError("")
        return None

    def construct_yaml_float(self, node: ScalarNode) -> float:  # type: ignore[override]
        text = self.construct_scalar(node)
        if not _FLOAT.fullmatch(text):
            raise ValueError("")
        value = text.replace("_", "").lower()
        if value.lstrip("+-") == ".inf":
            return float("-inf") if value.startswith("-") else float("inf")
        if value == ".nan":
            return float("nan")
        return float(value)

    def construct_yaml_bool(self, node: ScalarNode) -> bool:  # type: ignore[override]
        text = self.construct_scalar(node)
        if text.lower() not in _BOOLS:
            raise ValueError("")
        return _BOOLS[text.lower()]

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:  # type: ignore[override]
        if not isinstance(node.value, str) or not self.timestamp_regexp.match(node.value):
            raise ValueError("")
        return super().construct_yaml_timestamp(node)


for _tag, _method in (("int", _Constructor.construct_yaml_int), ("float", _Constructor.construct_yaml_float),
                      ("bool", _Constructor.construct_yaml_bool), ("timestamp", _Constructor.construct_yaml_timestamp),
                      ("null", _Constructor.construct_yaml_null)):
    _Constructor.add_constructor(f"tag:yaml.org,2002:{_tag}", _method)


@dataclass
class Document:
    """Plain data from one YAML file and where each part of it stands (1-based)."""

    file: str
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    flow_mappings: set[Path_] = field(default_factory=set)  # written inline, as {a: 1, b: 2}
    #: Where the parts that did not validate are (see scenarios.partial); empty for a
    #: file that loaded.
    unreadable: set[Path_] = field(default_factory=set)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """The position of the deepest part of ``path`` that exists in the file.

        With ``key`` the position of the key is preferred to that of its value, which
        is where an 'unknown key' message should point.
        """
        for end in range(len(path), -1, -1):
            prefix = tuple(path[:end])
            if key and prefix in self.key_marks:
                return self.key_marks[prefix]
            if prefix in self.marks:
                return self.marks[prefix]
        return (1, 1)

    def problem(self, path: Path_, message: str, *, key: bool = False) -> Problem:
        """A problem positioned at ``path`` (see :meth:`position`)."""
        line, col = self.position(path, key=key)
        return Problem(self.file, line, col, format_path(path), message)


def read_yaml(path: str | Path, display: str | None = None) -> Document:
    """Read and parse one YAML file.

    Raises InputError for files that are not text, too large, not YAML, empty, or
    that hold duplicate keys, aliases that expand too far, or unsupported tags.
    """
    name = display or str(path)
    try:
        raw = read_regular_file(Path(path), name)
    except OSError as exc:
        raise InputError([Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    return parse_yaml(raw, name)


def read_regular_file(path: Path, name: str, fmt: str = "YAML") -> bytes:
    """The bytes of a regular file of at most MAX_BYTES; ``name`` is how messages
    name it and ``fmt`` the format they say drillbit reads (YAML, JSON).
    Raises InputError for a file that is not regular or too large, OSError when it
    cannot be opened.

    Opened without blocking, so that a FIFO with no writer is refused instead of
    waiting forever; and read to at most one byte past the limit, so that a file
    that grows, or a device that never ends (/dev/zero), stops at the limit."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    mode = info.st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = ("a folder" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "something special")
        raise InputError([Problem(name, 1, 1, "", f"this is {what}, not a regular file; drillbit reads {fmt} from regular files only")])
    with os.fdopen(fd, "rb") as f:
        limit = f"drillbit reads {fmt} files of at most {MAX_BYTES // (1024 * 1024)} MB"
        if info.st_size > MAX_BYTES:
            raise InputError([Problem(name, 1, 1, "", f"the file is {info.st_size / 1e6:.1f} MB; {limit}")])
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise InputError([Problem(name, 1, 1, "", f"the file grew past {MAX_BYTES // (1024 * 1024)} MB while it was read; {limit}")])
    return raw


def parse_yaml(raw: bytes | str, name: str) -> Document:
    """Parse YAML text (see :func:`read_yaml`)."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise InputError([Problem(name, 1, 1, "", f"the input is {len(raw) / 1e6:.1f} MB; drillbit reads YAML files of at most {MAX_BYTES // (1024 * 1024)} MB")])
        nul = raw.find(b"\x00")
        if nul >= 0:
            line, col = line_col(raw[:nul])
            raise InputError([Problem(name, line, col, "", "this is a binary file, not YAML text (it holds a NUL byte)")])
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line, col = line_col(raw[: exc.start])
            raise InputError([Problem(name, line, col, "", f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})")]) from None
    else:
        text = raw
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line, col = line_col(text[: bad.start()])
        raise InputError([Problem(name, line, col, "", f"the file holds the character U+{ord(bad.group()):04X}, which YAML does not allow")])
    source = text
    text, restore = _hide_unicode_breaks(text)
    loader = _Loader(text)
    try:
        _check_depth(text, name)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise InputError([_syntax_problem(exc, name, source)]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(name, 1, 1, "", f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise InputError([Problem(name, 1, 1, "", f"the YAML is nested too deeply (more than {MAX_DEPTH} levels)")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise InputError([Problem(name, 1, 1, "", "the file is empty; expected a mapping such as 'id: ...'")])
    doc = Document(name, None)
    builder = _Builder(doc, restore)
    doc.data = builder.build(node, ())
    if builder.problems:
        raise InputError(builder.problems)
    return doc


# PyYAML (and libyaml) end a line at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR, as
# YAML 1.1 did; YAML 1.2, editors and every position drillbit reports count only
# \n, \r\n and \r. Each is swapped for a character the file does not use before
# parsing and swapped back in the values.
_UNICODE_BREAKS = "\x85\u2028\u2029"


def _hide_unicode_breaks(text: str) -> tuple[str, dict[int, int] | None]:
    """``text`` with no Unicode line breaks, and the table that restores them."""
    present = [c for c in _UNICODE_BREAKS if c in text]
    if not present:
        return text, None
    # Private-use characters are printable to the parser and rare in a drill file.
    used = set(text)
    candidates = (chr(c) for c in itertools.chain(range(0xE000, 0xF900), range(0xF0000, 0xFFFFE)))
    free = list(itertools.islice((c for c in candidates if c not in used), len(present)))
    if len(free) < len(present):
        return text, None  # a file that uses every private-use character keeps PyYAML's line breaks
    hide = {ord(c): f for c, f in zip(present, free)}
    return text.translate(hide), {ord(f): c for c, f in zip(present, free)}


def _check_depth(text: str, name: str) -> None:
    """Refuse deep nesting before composing: libyaml's composer recurses in C, and a
    few kilobytes of '[' overflow the stack of the whole process.

    Some libyaml releases stop at their own nesting limit while scanning ahead, before
    drillbit's limit is reached; the pure-Python parser, which scans ahead less and has
    no limit of its own, then finds where drillbit's limit is passed, so the message
    does not depend on the PyYAML release."""
    try:
        _walk_depth(_Loader(text), name)
    except yaml.YAMLError as exc:
        # Only a parser's own limit needs a second look: the pure-Python parser is slow
        # on a large file with an ordinary syntax error.
        if any(word in str(exc) for word in ("nest", "depth", "level")):
            try:
                _walk_depth(yaml.SafeLoader(text), name)
            except yaml.YAMLError:
                pass
        raise


def _walk_depth(loader: Any, name: str) -> None:
    depth = 0
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    m = event.start_mark
                    raise InputError([Problem(name, m.line + 1, m.column + 1, "", f"the YAML is nested too deeply (more than {MAX_DEPTH} levels)")])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    finally:
        loader.dispose()


# libyaml and PyYAML's pure-Python parser word the same mistakes differently; drillbit
# says them one way (libyaml's, the one most installs use) whichever parser runs.
_PURE_PYTHON_WORDING = (
    (re.compile(r"^expected (',' or '[\]}]'), but got .*$"), r"did not find expected \1"),
    (re.compile(r"^found character .* that cannot start any token$"), "found character that cannot start any token"),
    (re.compile(r"^found undefined alias.*$"), "found undefined alias"),
)


def _same_wording(what: str, context: str) -> str:
    if what.startswith("expected <block end>, but found"):
        return "did not find expected '-' indicator" if "block collection" in context and "sequence" in context else "did not find expected key"
    for pattern, replacement in _PURE_PYTHON_WORDING:
        what = pattern.sub(replacement, what)
    return what


def _syntax_problem(exc: yaml.MarkedYAMLError, name: str, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    context = exc.context or ""
    what = _same_wording(exc.problem or "not valid YAML", context)
    if what == "found undefined alias" and mark:
        alias = re.match(r"\*([^\s,\[\]{}]+)", text.split("\n", mark.line + 1)[mark.line][mark.column:])
        if alias:
            what = f"found undefined alias '*{alias.group(1)}' (no '&{alias.group(1)}' anchor before it)"
    if "expected a single document" in context:
        what = "expected one YAML document, found more than one (remove the '---' separator)"
    elif what.startswith("mapping values are not allowed") and mark:
        what = _colon_in_text(text, mark.line, mark.column)
    elif (what.startswith("did not find expected ','") and mark and _char_at(text, mark.line, mark.column) == ":"
          and exc.context_mark is not None and exc.context_mark.line == mark.line):  # not an unclosed '[' above
        what = _colon_in_flow_text(text, mark.line, mark.column)
    elif mark and _char_at(text, mark.line, mark.column) == "\t":
        what += " (a tab; indent with spaces)"
    elif context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
        cm = exc.context_mark
        what += f" ({context} that starts at line {cm.line + 1}, column {cm.column + 1})"
    return Problem(name, line, col, "", f"not valid YAML: {what}")


_KEY_AND_TEXT = re.compile(r"^(\s*(?:-\s+)*)([^\s'\"#:-][^:#]*?):\s+([^\s'\"\[{|>].*?)(\s+#.*)?$")


def _colon_in_text(text: str, line: int, column: int) -> str:
    """Say why ': ' inside a text value fails, and write the line as it should be."""
    source = text.split("\n", line + 1)[line] if line < text.count("\n") + 1 else ""
    found = _KEY_AND_TEXT.match(source.rstrip("\r"))
    if not found or column < found.start(3):
        return "a ': ' here starts a key where none can start; text that holds ': ' must be in quotes"
    indent, key, value, comment = found.group(1), found.group(2), found.group(3), found.group(4) or ""
    return (f"the text of '{key}' holds ': ', which YAML reads as the start of another key; "
            f"put the text in quotes: {indent.strip() + ' ' if indent.strip() else ''}{key}: {_quote(value)}{comment}")


_FLOW_KEY_AND_TEXT = re.compile(r"([A-Za-z0-9_.-]+):\s+([^,{}\[\]'\"]*)$")


def _colon_in_flow_text(text: str, line: int, column: int) -> str:
    """The same inside {…} or […], where YAML expects a ',' after the first ': '."""
    source = text.split("\n", line + 1)[line]
    found = _FLOW_KEY_AND_TEXT.search(source[:column])
    if not found:
        return "inside {…} or […] a ': ' in a value starts another key; put text that holds ': ' in quotes"
    rest = re.match(r"[^,{}\[\]]*", source[column:]).group()
    key, value = found.group(1), (found.group(2) + rest).strip()
    return (f"the text of '{key}' holds ': ', which YAML inside {{…}} reads as the start of another key; "
            f"put the text in quotes: {key}: {_quote(value)}")


def _quote(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line + 1)
    return lines[line][column:column + 1] if line < len(lines) else ""


_BREAK = re.compile(r"\r\n|\r|\n")
_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")


def line_col(prefix: bytes | str) -> tuple[int, int]:
    """The (line, col) just after ``prefix``, both 1-based; lines end at \\n, \\r\\n or \\r, as the parser counts them."""
    breaks = list((_BREAK if isinstance(prefix, str) else _BREAK_BYTES).finditer(prefix))  # type: ignore[arg-type]
    line_start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, len(prefix) - line_start + 1


_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_KIND_NAMES = {
    "int": "a whole number such as 42, 0x2a or 0o52",
    "float": "a number such as 1.5, 2e3 or .inf",
    "timestamp": "a date such as 2026-03-01 or a date-time such as 2026-03-01T09:00:00+01:00",
    "bool": "true or false",
    "null": "nothing (null, ~ or an empty value)",
}
_PLAIN_NAMES = {"int": "a whole number", "float": "a number", "timestamp": "a date", "bool": "true or false"}
# Scalars a drill file can hold; !!binary, !!set and the like build values no model takes.
_SCALAR_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}


class _Implicit(yaml.resolver.BaseResolver):
    yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


_IMPLICIT = _Implicit()


def _unreadable(node: ScalarNode, reason: str) -> str:
    """Say what the tag of a scalar expects; name the tag only where the user wrote it
    (``2026-02-30`` is a date to the reader, ``!!bool maybe`` asks for true or false)."""
    name = node.tag.rsplit(":", 1)[-1]
    value = node.value if len(node.value) <= 40 else node.value[:37] + "..."
    written = node.style not in (None, "") or _IMPLICIT.resolve(ScalarNode, node.value, (True, False)) != node.tag
    if written:
        kind = _KIND_NAMES.get(name, "a value of its type")
        return f"cannot read {value!r} as {_short_tag(node.tag)}: expected {kind}" + (f" ({reason})" if reason else "")
    return f"cannot read {value!r} as {_PLAIN_NAMES.get(name, 'a value of its type')}" + (f": {reason}" if reason else "")


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!", 1)


class _Builder:
    def __init__(self, doc: Document, restore: dict[int, int] | None = None):
        self.doc = doc
        self.restore = restore
        self.problems: list[Problem] = []
        self.count = 0
        self.active: set[int] = set()
        self.scalars = _Constructor()

    def _problem(self, node: Node, path: Path_, message: str) -> None:
        m = node.start_mark
        self.problems.append(Problem(self.doc.file, m.line + 1, m.column + 1, format_path(path), message))

    def build(self, node: Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            if self.count == MAX_VALUES + 1:
                self._problem(node, path, f"the document expands to more than {MAX_VALUES:,} values (aliases that repeat each other?)")
            return None
        if len(path) > MAX_DEPTH:
            self._problem(node, (), f"the YAML is nested too deeply (more than {MAX_DEPTH} levels)")
            return None
        if id(node) in self.active:
            self._problem(node, path, "an alias refers to a value that contains it (a cycle)")
            return None
        self.doc.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                self._problem(node, path, f"unsupported YAML tag {_short_tag(node.tag)}; drillbit reads plain YAML values only")
                return None
            if self.restore:
                node.value = node.value.translate(self.restore)
            try:
                return self.scalars.construct_object(node, deep=True)
            except ConstructorError:
                self._problem(node, path, f"unsupported YAML tag {_short_tag(node.tag)}; drillbit reads plain YAML values only")
                return None
            except (ValueError, OverflowError) as exc:
                # OverflowError: a date-time at 9999-12-31 with an offset east of UTC.
                self._problem(node, path, _unreadable(node, str(exc)))
                return None
        if node.tag not in (_SEQ, _MAP):
            self._problem(node, path, f"unsupported YAML tag {_short_tag(node.tag)}; drillbit reads plain YAML values only")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                if node.flow_style:
                    self.doc.flow_mappings.add(path)
                return self._mapping(node, path)
        finally:
            self.active.discard(id(node))
        self._problem(node, path, "unsupported YAML node")
        return None

    def _mapping(self, node: MappingNode, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.update(self._merge_sources(value_node, path))
                continue
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, path, "a key must be a plain word, not a list or a mapping")
                continue
            key = str(key_node.value).translate(self.restore) if self.restore else str(key_node.value)
            if key in seen:
                self._problem(key_node, path + (key,), f"duplicate key '{key}' (first written at line {seen[key]})")
                continue
            seen[key] = key_node.start_mark.line + 1
            self.doc.key_marks[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, path + (key,))
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def _merge_sources(self, node: Node, path: Path_) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in reversed(sources):
            if not isinstance(source, MappingNode):
                self._problem(source, path, "'<<' merges mappings only")
                continue
            value = self.build(source, path)
            if isinstance(value, dict):
                merged.update(value)
        return merged
