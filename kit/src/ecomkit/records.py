"""Domain records (dataclasses) to and from table rows: the field-by-field copies every
repository would otherwise spell out, once for reading a row and once for writing it.

A record's field reads the column of its own name, unless `columns` maps it to another:

    _STOCK_COLUMNS = {"available": "available_stock", "reserved": "reserved_stock"}
    level = record_from_row(StockLevel, row._mapping, columns=_STOCK_COLUMNS)
    insert(inventory).values(**record_values(level, columns=_STOCK_COLUMNS))

One mapping serves both directions, so a renamed column is renamed in one place.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any, TypeVar

RecordT = TypeVar("RecordT")

# The declared types a column value is converted to: drivers hand back what the column
# stores (MariaDB's BOOLEAN is a TINYINT, an enum is its text, a COUNT may be a Decimal).
_CONVERTED: tuple[type, ...] = (bool, int, float, Decimal, enum.Enum)


def record_from_row(
    cls: type[RecordT],
    row: Mapping[Any, Any],
    *,
    columns: Mapping[str, str] | None = None,
    **values: Any,
) -> RecordT:
    """An instance of dataclass `cls` from a row mapping (`row._mapping`).

    Each init field takes the column of its name (or the one `columns` maps it to),
    converted to the field's declared type when that is a number, a bool or an enum;
    `values` are taken as they are (a field no column holds, or one the row needs work
    for); a field neither gives keeps its default."""
    columns = columns or {}
    kwargs: dict[str, Any] = {}
    for name, kind in _init_fields(cls).items():
        if name in values:
            kwargs[name] = values[name]
            continue
        column = columns.get(name, name)
        if column in row:
            kwargs[name] = _converted(row[column], kind)
        elif name in columns:
            raise KeyError(f"{cls.__name__}.{name}: the row has no column {column!r}")
    return cls(**kwargs)


def record_values(
    record: Any,
    *,
    columns: Mapping[str, str] | None = None,
    only: Collection[str] | None = None,
    exclude: Collection[str] = (),
    **values: Any,
) -> dict[str, Any]:
    """A dataclass instance's fields as {column: value} (shallow, unlike `asdict`).

    `only`/`exclude` pick the fields; `columns` renames them; enum members become their
    values (what the column stores); `values` add or replace entries, by column name."""
    columns = columns or {}
    picked = {}
    for field in dataclasses.fields(record):
        if field.name in exclude or (only is not None and field.name not in only):
            continue
        value = getattr(record, field.name)
        picked[columns.get(field.name, field.name)] = (
            value.value if isinstance(value, enum.Enum) else value
        )
    return picked | values


# Per record class: its init fields and the type each converts to (None: as it is).
_FIELDS: dict[type, dict[str, type | None]] = {}


def _init_fields(cls: type) -> dict[str, type | None]:
    if cls not in _FIELDS:
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        _FIELDS[cls] = {f.name: _target(hints[f.name]) for f in fields if f.init}
    return _FIELDS[cls]


def _target(hint: Any) -> type | None:
    """`int` for `int` and `int | None`; None for what is not converted (text, datetimes)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = options[0] if len(options) == 1 else None
    if isinstance(hint, type) and issubclass(hint, _CONVERTED):
        return hint
    return None


def _converted(value: Any, kind: type | None) -> Any:
    if value is None or kind is None or type(value) is kind:
        return value
    return kind(value)
