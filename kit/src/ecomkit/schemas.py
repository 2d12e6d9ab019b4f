"""The base of every service's HTTP bodies: camelCase on the wire, snake_case in Python.

Responses are mostly a domain object's own attributes under the same names, so a
response model is filled from the object (`copying`) and names only what differs — a
field renamed, an enum's value, a nested list — instead of restating every field.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """`userId` in JSON, `user_id` in Python (either is accepted on input)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    @classmethod
    def copying(cls, source: object, **values: Any) -> Self:
        """This model from `source`'s attributes of the same names; `values` give the
        fields `source` has under another name or in another form. pydantic still checks
        every field, so a field neither has fails here, not on the wire."""
        same = {
            name: getattr(source, name)
            for name in cls.model_fields
            if name not in values and hasattr(source, name)
        }
        return cls(**same, **values)


Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
"""A stored row's id in a body: positive, and within the signed 64-bit column that keeps
it, so a larger number is a 422 here instead of a database error later."""
