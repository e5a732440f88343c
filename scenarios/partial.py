"""What did parse of a file that failed validation, so that the checks of names and
references can run on it too and every problem is reported in one go.

Each part is validated on its own; a part that does not validate is replaced by
:data:`UNREADABLE`, a value that is empty, false, equal to nothing else and has every
attribute (itself), so that checks walking the model step over it. A check that
reports a problem where an unreadable part is (at its path, inside it or around it)
would repeat or guess at what validation already reported: :func:`overlaps` lets the
loader drop those.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Iterable, Union

from pydantic import BaseModel, TypeAdapter, ValidationError

from .base import adapter

Path_ = tuple[str | int, ...]


class _Unreadable:
    """A part of a file that did not validate; ``raw`` is what the file holds there."""

    __slots__ = ("raw",)

    def __init__(self, raw: object = None):
        self.raw = raw

    def __bool__(self) -> bool:
        return False

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __contains__(self, item: object) -> bool:
        return False

    def __getattr__(self, name: str) -> "_Unreadable":
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __call__(self, *args: object, **kwargs: object) -> "_Unreadable":
        return self

    def __repr__(self) -> str:
        return "<unreadable>"


UNREADABLE: Any = _Unreadable()


def is_unreadable(value: object) -> bool:
    """Whether ``value`` stands for a part that did not validate."""
    return isinstance(value, _Unreadable)


def raw_text(value: object) -> str | None:
    """What the file holds where a part did not validate, when that is text."""
    raw = getattr(value, "raw", None) if isinstance(value, _Unreadable) else None
    return raw if isinstance(raw, str) else None


def salvage(model: type[BaseModel], data: Any, context: dict[str, Any] | None = None) -> Any:
    """``model`` built from ``data`` part by part; UNREADABLE where a part fails.

    The result is not a valid model (validators did not run on the whole): use it for
    checks of names and references only, never for a run.
    """
    return _value(model, data, context)


def _validate(t: Any, raw: Any, context: dict[str, Any] | None) -> tuple[bool, Any]:
    try:
        checker = adapter(t)
    except TypeError:  # an annotation that cannot be cached
        checker = TypeAdapter(t)
    try:
        return True, checker.validate_python(raw, context=context)
    except ValidationError:
        return False, None


def _value(t: Any, raw: Any, context: dict[str, Any] | None) -> Any:
    ok, value = _validate(t, raw, context)
    if ok:
        return value
    inner = _strip(t)
    origin = typing.get_origin(inner)
    if isinstance(inner, type) and issubclass(inner, BaseModel) and isinstance(raw, dict):
        fields: dict[str, Any] = {}
        for name, f in inner.model_fields.items():
            key = f.alias or name
            if key in raw:
                annotation = Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation
                fields[name] = _value(annotation, raw[key], context)
            elif f.is_required():
                fields[name] = UNREADABLE
        return inner.model_construct(**fields)
    if origin is list and isinstance(raw, list):
        (item,) = typing.get_args(inner) or (Any,)
        return [_value(item, e, context) for e in raw]
    if origin is dict and isinstance(raw, dict):
        _, item = typing.get_args(inner) or (Any, Any)
        return {k: _value(item, v, context) for k, v in raw.items()}
    return _Unreadable(raw)


def _strip(t: Any) -> Any:
    """Drop Annotated wrappers and an Optional around a single type."""
    while True:
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            t = typing.get_args(t)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in typing.get_args(t) if a is not type(None)]
            if len(options) != 1:
                return t
            t = options[0]
        else:
            return t


def overlaps(path: Path_, unreadable: Iterable[Path_]) -> bool:
    """Whether ``path`` is at, inside or around any of the ``unreadable`` paths."""
    for other in unreadable:
        n = min(len(path), len(other))
        if path[:n] == other[:n]:
            return True
    return False
