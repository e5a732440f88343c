"""Read JSON into plain data plus the position of every key and value.

Python's json module decides what the value is and words syntax errors; the
positions come from YAML's composer over the same text (JSON is YAML 1.2), through
:func:`scenarios.yamlsource.parse_yaml`. A few escapes libyaml refuses (a surrogate
pair such as ``\\ud83d\\ude00``) are swapped for escapes of the same length first,
which moves no position. A stream of several JSON documents (JSON lines, or pages of
an API written one after another) reads as a list of documents.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import InputError, Problem
from .yamlsource import MAX_BYTES, Document, line_col, parse_yaml, read_regular_file

# \uD800-\uDFFF written as an escape: swapped for \uE800-\uEFFF (same length, a character
# libyaml takes, one for one, so two keys that differ still differ for the duplicate check).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def read_json(path: str | Path, display: str | None = None) -> Document:
    """Read one JSON document with positions. Raises InputError (not JSON, not text,
    too large, duplicate keys) with ``file:line:col``."""
    return _only(read_json_stream(path, display))


def parse_json(raw: bytes | str, name: str) -> Document:
    """The one JSON document of ``raw`` with positions, ``name`` in messages. Raises
    InputError as :func:`read_json` does."""
    return _only(parse_json_stream(raw, name))


def _only(docs: list[Document]) -> Document:
    if len(docs) != 1:
        second = docs[1]
        line, col = second.position(())
        raise InputError([Problem(second.file, line, col, "", "expected one JSON document, found another after it")])
    return docs[0]


def read_json_stream(path: str | Path, display: str | None = None, *, any_size: bool = False) -> list[Document]:
    """Read every JSON document of a file (one, or several one after another, as JSON
    lines write them). Raises InputError as :func:`read_json` does; ``any_size``
    lifts the limit of MAX_BYTES on the file (each document keeps it for positions),
    for exports a caller has already checked are regular files."""
    name = display or str(path)
    try:
        raw = Path(path).read_bytes() if any_size else read_regular_file(Path(path), name, "JSON")
    except OSError as exc:
        raise InputError([Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    return parse_json_stream(raw, name)


def parse_json_stream(raw: bytes | str, name: str) -> list[Document]:
    """The JSON documents of ``raw`` with positions (see :func:`read_json_stream`)."""
    text = _text(raw, name)
    decoder = json.JSONDecoder()
    docs: list[Document] = []
    at = _skip_space(text, 0)
    while at < len(text):
        try:
            data, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            # json counts lines at \n only; a file of \r line ends is positioned as YAML counts them
            raise InputError([Problem(name, *line_col(text[:exc.pos]), "", f"not valid JSON: {exc.msg}")]) from None
        except RecursionError:
            line, col = line_col(text[:at])
            raise InputError([Problem(name, line, col, "", "the JSON is nested too deeply to read")]) from None
        docs.append(_with_marks(text, at, end, data, name))
        at = _skip_space(text, end)
    if not docs:
        raise InputError([Problem(name, 1, 1, "", "the file is empty; expected a JSON document")])
    return docs


def _text(raw: bytes | str, name: str) -> str:
    if isinstance(raw, str):
        return raw
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, col = line_col(raw[:nul])
        raise InputError([Problem(name, line, col, "", "this is a binary file, not JSON text (it holds a NUL byte)")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = line_col(raw[: exc.start])
        raise InputError([Problem(name, line, col, "", f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})")]) from None


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _with_marks(text: str, start: int, end: int, data: object, name: str) -> Document:
    """The document with the values json read and the positions YAML's composer finds,
    counted from the start of the file. A document YAML cannot compose (larger than
    it reads) keeps the position of its start only; duplicate keys are refused, as in
    every drillbit file."""
    line, col = line_col(text[:start])
    body = _SURROGATE_ESCAPE.sub(lambda m: "\\ue" + m.group()[3:], text[start:end])
    doc = Document(name, data)
    doc.marks[()] = (line, col)
    if len(body) > MAX_BYTES:
        return doc
    # Padding puts the document where it stands in the file, so the marks need no shift.
    padded = "\n" * (line - 1) + " " * (col - 1) + body
    try:
        shaped = parse_yaml(padded, name)
    except InputError as exc:
        duplicates = [p for p in exc.problems if p.message.startswith("duplicate key")]
        if duplicates:
            raise InputError(duplicates) from None
        return doc
    doc.marks.update(shaped.marks)
    doc.key_marks.update(shaped.key_marks)
    return doc
