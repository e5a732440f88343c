"""The base every input model shares: strict keys, immutable, aliases for YAML words."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"


class Model(BaseModel):
    """Unknown keys are errors; numbers written where text is expected become text."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
        validate_default=False,
    )

    #: The Document this model was loaded from, so later checks can point into it.
    _source: Any = PrivateAttr(None)


#: A name people type and other files refer to: lowercase, digits, '-', '_' and '.'.
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=80)]
#: A probability between 0 and 1 inclusive.
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
