"""The base every input model shares: strict keys, immutable, aliases for YAML words."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, TypeAdapter, ValidationError

from .errors import DrillbitError, format_path

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"


class Model(BaseModel):
    """Unknown keys are errors; numbers written where text is expected become text."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
        validate_default=False,
        # Built on first use: a command that reads a team file never pays for the scenario models.
        defer_build=True,
    )

    #: The Document this model was loaded from, so later checks can point into it.
    _source: Any = PrivateAttr(None)


R = TypeVar("R", bound="Record")


class Record(BaseModel):
    """A result another stage computed (a drill result, say): immutable, unknown keys
    are errors, and values are validated as typed, without coercion. Later stages
    subclass it, so that pydantic stays the drill language's own library."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @classmethod
    def checked(cls: type[R], doc: Any, error: type[DrillbitError], what: str) -> R:
        """``doc`` validated as this record; raises ``error`` naming the first wrong
        field (``what: objectives[2].rating: …``)."""
        try:
            return cls.model_validate(doc)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = format_path(first["loc"])
            raise error(f"{what}: {where + ': ' if where else ''}{first['msg']}") from None


@lru_cache(maxsize=512)
def adapter(t: Any) -> TypeAdapter:
    """The TypeAdapter of ``t`` (a hashable type or annotation), built on first use and
    kept: building one costs as much as building a model."""
    return TypeAdapter(t)


def build_models() -> None:
    """Build every model class loaded so far that is still waiting for its first use
    (``defer_build``). pydantic's first-use build is not thread-safe in every release
    drillbit supports: a server calls this before its threads start, so no two of them
    build a model at once."""
    stack: list[type[BaseModel]] = [Model, Record]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not cls.__pydantic_complete__:
            cls.model_rebuild()


#: A name people type and other files refer to: lowercase, digits, '-', '_' and '.'.
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=80)]
#: A probability between 0 and 1 inclusive.
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
