"""A service's tables as its Flyway migrations leave them, read with a SQL parser (sqlglot).

The versioned scripts (``V<ver>__*.sql``) are replayed in Flyway's version order: each is
cut into statements by the splitter `ecomctl migrate` runs them with, and the statements
that shape tables (CREATE TABLE, ALTER TABLE, DROP TABLE) are parsed in the service's
dialect; every other statement (indexes, functions, triggers, data) leaves the columns
as they are and is not read. What comes out is each table's columns in order, with the
type SQLAlchemy gives them, nullability, primary key, autoincrement and foreign keys:
`schema_render` writes them as Core declarations. A table-shaping statement that the
parser cannot read, or an ALTER it does not know, stops the reading with one line naming
the file and line: a guess would be a schema the database does not have.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from ecomctl.errors import UsageError
from ecomctl.migrate.naming import ScriptKind, parse_name
from ecomctl.migrate.splitter import Statement, split_mysql, split_postgres

Dialect = Literal["postgresql", "mysql"]
_SQLGLOT_DIALECT: dict[Dialect, str] = {"postgresql": "postgres", "mysql": "mysql"}
# Tables the service kit declares itself (ecomkit.tables: the outbox and the inbox).
KIT_TABLES = frozenset({"outbox", "inbox"})
_TABLE_DDL = re.compile(
    r"^(?:CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP(?:ORARY)?\s+|UNLOGGED\s+)?TABLE"
    r"|ALTER\s+TABLE|DROP\s+TABLE|RENAME\s+TABLE)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SqlType:
    """A column type as SQLAlchemy names it: `expr` renders it, `imports` are what it needs."""

    expr: str
    imports: tuple[tuple[str, str], ...]  # (module, name)
    autoincrement: bool = False  # BIGSERIAL and friends carry their sequence in the type
    sql: str = ""  # the type as the migration wrote it, for types SQLAlchemy has no name for


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: SqlType
    nullable: bool = True
    autoincrement: bool = False
    computed: str | None = None  # a generated column's expression (`AS (...)`)
    stored: bool = False  # a generated column kept on disk (STORED), not computed on read


@dataclass(frozen=True)
class ForeignKeySpec:
    columns: tuple[str, ...]
    table: str
    targets: tuple[str, ...]
    name: str = ""  # the constraint's name, when the migration gave one (to drop it by)


@dataclass
class TableSpec:
    name: str
    columns: dict[str, ColumnSpec] = field(default_factory=dict)
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKeySpec] = field(default_factory=list)


@dataclass(frozen=True)
class Schema:
    dialect: Dialect
    tables: dict[str, TableSpec]
    scripts: tuple[str, ...]  # the versioned scripts read, in order


class SchemaError(UsageError):
    """A migration the schema cannot be read from: one line naming the file and line."""


def versioned_scripts(folder: Path) -> list[Path]:
    """The folder's ``V`` scripts in Flyway's version order (undo and repeatable left out)."""
    found = []
    for path in folder.glob("*.sql"):
        name = parse_name(path.name)
        if name is not None and name.kind is ScriptKind.VERSIONED and name.version is not None:
            found.append((name.version, path))
    return [path for _, path in sorted(found, key=lambda pair: pair[0])]


def read_schema(folder: Path, dialect: Dialect) -> Schema:
    """Every table the folder's versioned migrations leave, the kit's own tables left out."""
    tables: dict[str, TableSpec] = {}
    scripts = versioned_scripts(folder)
    for script in scripts:
        split = split_postgres if dialect == "postgresql" else split_mysql
        for statement in split(script.read_text(encoding="utf-8")):
            if _TABLE_DDL.match(statement.sql):
                _Replay(tables, dialect, script, statement).run()
    kept = {name: table for name, table in tables.items() if name not in KIT_TABLES}
    return Schema(dialect, kept, tuple(s.name for s in scripts))


@dataclass
class _Replay:
    """One table-shaping statement applied to the tables read so far."""

    tables: dict[str, TableSpec]
    dialect: Dialect
    script: Path
    statement: Statement

    def fail(self, why: str) -> SchemaError:
        return SchemaError(
            f"{self.script.name}:{self.statement.line}: {why}",
            hint=f"the schema.py renderer reads it with sqlglot ({self.sqlglot_dialect} dialect):"
            " write it in a form both the database and sqlglot read",
        )

    def run(self) -> None:
        try:
            with _quiet_parser():
                tree = sqlglot.parse_one(self.statement.sql, read=self.sqlglot_dialect)
        except ParseError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise self.fail(f"sqlglot cannot parse this statement ({first})") from None
        if isinstance(tree, exp.Create):
            self.create(tree)
        elif isinstance(tree, exp.Alter):
            self.alter(tree)
        elif isinstance(tree, exp.Drop):
            for table in tree.args.get("tables") or []:
                self.tables.pop(table.name, None)
        else:
            raise self.fail(f"sqlglot cannot read this statement ({self.statement.sql[:40]}...)")

    def table(self, name: str) -> TableSpec:
        if name not in self.tables:
            raise self.fail(f"table {name} is altered before any migration creates it")
        return self.tables[name]

    def create(self, tree: exp.Create) -> None:
        schema = tree.this
        if not isinstance(schema, exp.Schema):
            raise self.fail("CREATE TABLE ... AS SELECT has no column list to read")
        table = TableSpec(schema.this.name)
        for item in schema.expressions:
            if isinstance(item, exp.ColumnDef):
                self.add_column(table, item)
            else:
                self.add_constraint(table, item)
        self.tables[table.name] = table

    def alter(self, tree: exp.Alter) -> None:
        table = self.table(tree.this.name)
        for action in tree.args.get("actions") or []:
            self.alter_action(table, action)

    def alter_action(self, table: TableSpec, action: exp.Expression) -> None:
        if isinstance(action, exp.ColumnDef):
            self.add_column(table, action)
        elif isinstance(action, exp.ModifyColumn):
            self.modify_column(table, action)
        elif isinstance(action, exp.AlterColumn):
            self.alter_column(table, action)
        elif isinstance(action, exp.RenameColumn):
            self.rename_column(table, action.this.name, action.args["to"].name)
        elif isinstance(action, exp.AlterRename):
            self.tables.pop(table.name)
            table.name = action.this.name
            self.tables[table.name] = table
        elif isinstance(action, exp.Drop):
            self.drop(table, action)
        elif isinstance(action, exp.AddConstraint):
            for constraint in action.expressions:
                self.add_constraint(table, constraint)
        elif isinstance(action, exp.DropPrimaryKey):
            table.primary_key = []
        else:
            raise self.fail(f"ALTER TABLE {table.name}: {action.sql()[:60]} is not understood")

    def drop(self, table: TableSpec, action: exp.Drop) -> None:
        kind = str(action.args.get("kind") or "").upper()
        names = [item.name for item in action.args.get("tables") or []]
        if kind == "COLUMN":
            for name in names:
                table.columns.pop(name, None)
                table.primary_key = [c for c in table.primary_key if c != name]
                table.foreign_keys = [fk for fk in table.foreign_keys if name not in fk.columns]
        elif kind in {"CONSTRAINT", "FOREIGN KEY"}:
            table.foreign_keys = [fk for fk in table.foreign_keys if fk.name not in names]
            if f"{table.name}_pkey" in names:  # PostgreSQL's name for the primary key
                table.primary_key = []
        elif kind not in {"INDEX", "KEY", "CHECK"}:
            raise self.fail(f"ALTER TABLE {table.name}: DROP {kind or '?'} is not understood")

    def add_column(self, table: TableSpec, definition: exp.ColumnDef) -> None:
        """ADD COLUMN: at the end, or where MariaDB's FIRST / AFTER col puts it."""
        position = definition.args.get("position")
        column = self.column(table, definition)
        items = list(table.columns.items())
        if not isinstance(position, exp.ColumnPosition):
            index = len(items)
        elif position.this is None:  # FIRST
            index = 0
        elif position.this.name in table.columns:
            index = list(table.columns).index(position.this.name) + 1
        else:
            raise self.fail(f"ALTER TABLE {table.name}: no column {position.this.name} to follow")
        items.insert(index, (column.name, column))
        table.columns = dict(items)

    def modify_column(self, table: TableSpec, action: exp.ModifyColumn) -> None:
        """MariaDB's MODIFY/CHANGE COLUMN: the whole definition is restated."""
        old = action.args.get("rename_from")
        definition = action.this
        name = old.name if old is not None else definition.name
        if name not in table.columns:
            raise self.fail(f"ALTER TABLE {table.name}: no column {name} to modify")
        column = self.column(table, definition)
        table.columns = {
            (column.name if key == name else key): (column if key == name else value)
            for key, value in table.columns.items()
        }
        table.primary_key = [column.name if c == name else c for c in table.primary_key]

    def alter_column(self, table: TableSpec, action: exp.AlterColumn) -> None:
        """PostgreSQL's ALTER COLUMN: a new type, or NOT NULL set or dropped; defaults are
        not part of the declarations."""
        name = action.this.name
        if name not in table.columns:
            raise self.fail(f"ALTER TABLE {table.name}: no column {name} to alter")
        column = table.columns[name]
        dtype = action.args.get("dtype")
        if isinstance(dtype, exp.DataType):
            column = replace(column, type=self.sql_type(dtype))
        allow_null = action.args.get("allow_null")
        if allow_null is not None:
            column = replace(column, nullable=bool(allow_null))
        table.columns[name] = column

    def rename_column(self, table: TableSpec, old: str, new: str) -> None:
        if old not in table.columns:
            raise self.fail(f"ALTER TABLE {table.name}: no column {old} to rename")
        table.columns = {
            (new if key == old else key): (replace(value, name=new) if key == old else value)
            for key, value in table.columns.items()
        }
        table.primary_key = [new if c == old else c for c in table.primary_key]
        table.foreign_keys = [
            replace(fk, columns=tuple(new if c == old else c for c in fk.columns))
            for fk in table.foreign_keys
        ]

    def column(self, table: TableSpec, definition: exp.ColumnDef) -> ColumnSpec:
        kind = definition.args.get("kind")
        if not isinstance(kind, exp.DataType):
            raise self.fail(f"column {table.name}.{definition.name} has no type")
        sql_type = self.sql_type(kind)
        nullable, autoincrement, computed, stored = True, sql_type.autoincrement, None, False
        for constraint in definition.args.get("constraints") or []:
            what = constraint.args.get("kind")
            if isinstance(what, exp.NotNullColumnConstraint):
                nullable = bool(what.args.get("allow_null"))
            elif isinstance(what, exp.PrimaryKeyColumnConstraint):
                table.primary_key = [definition.name]
                nullable = False
            elif isinstance(what, exp.AutoIncrementColumnConstraint):
                autoincrement = True
            elif isinstance(what, exp.GeneratedAsIdentityColumnConstraint):
                autoincrement, nullable = True, False  # identity columns are NOT NULL
            elif isinstance(what, exp.ComputedColumnConstraint):
                computed = what.this.unnest().sql(dialect=self.sqlglot_dialect)
                stored = bool(what.args.get("persisted")) or self.dialect == "postgresql"
            elif isinstance(what, exp.Reference):
                self.reference(table, (definition.name,), what)
        return ColumnSpec(definition.name, sql_type, nullable, autoincrement, computed, stored)

    @property
    def sqlglot_dialect(self) -> str:
        return _SQLGLOT_DIALECT[self.dialect]

    def add_constraint(self, table: TableSpec, item: exp.Expression, *, name: str = "") -> None:
        """Table-level constraints: the primary key and foreign keys shape the declarations;
        checks, unique keys and indexes stay in the database."""
        if isinstance(item, exp.Constraint):
            for inner in item.expressions:
                self.add_constraint(table, inner, name=item.name)
        elif isinstance(item, exp.PrimaryKey):
            table.primary_key = [_column_name(e) for e in item.expressions]
            for name in table.primary_key:
                if name in table.columns:
                    table.columns[name] = replace(table.columns[name], nullable=False)
        elif isinstance(item, exp.ForeignKey):
            columns = tuple(_column_name(e) for e in item.expressions)
            reference = item.args.get("reference")
            if isinstance(reference, exp.Reference):
                self.reference(table, columns, reference, name=name)

    def reference(
        self, table: TableSpec, columns: tuple[str, ...], ref: exp.Reference, *, name: str = ""
    ) -> None:
        target = ref.this
        if isinstance(target, exp.Schema):
            other = target.this.name
            targets = tuple(_column_name(e) for e in target.expressions)
        else:
            other, targets = target.name, ()
        if not targets:  # REFERENCES t: its primary key
            if other not in self.tables:
                raise self.fail(f"REFERENCES {other}: no such table before this migration")
            targets = tuple(self.tables[other].primary_key)
        table.foreign_keys.append(ForeignKeySpec(columns, other, targets, name))

    def sql_type(self, dtype: exp.DataType) -> SqlType:
        return sqlalchemy_type(dtype, self.dialect)


@contextmanager
def _quiet_parser() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to an opaque Command: here that is an
    error of its own (`run`), not a line on the terminal."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _column_name(node: exp.Expression) -> str:
    return node.name if not isinstance(node, exp.Ordered) else node.this.name


_SA = "sqlalchemy"
_PG = "sqlalchemy.dialects.postgresql"
# sqlglot's type -> (SQLAlchemy type, autoincrement): the names the hand-written
# declarations used, String for CHAR as for VARCHAR (the column length is what they read).
_PLAIN: dict[str, tuple[str, bool]] = {
    "BIGINT": ("BigInteger", False),
    "UBIGINT": ("BigInteger", False),
    "BIGSERIAL": ("BigInteger", True),
    "INT": ("Integer", False),
    "UINT": ("Integer", False),
    "MEDIUMINT": ("Integer", False),
    "UMEDIUMINT": ("Integer", False),
    "SERIAL": ("Integer", True),
    "SMALLINT": ("SmallInteger", False),
    "USMALLINT": ("SmallInteger", False),
    "TINYINT": ("SmallInteger", False),
    "UTINYINT": ("SmallInteger", False),
    "SMALLSERIAL": ("SmallInteger", True),
    "BOOLEAN": ("Boolean", False),
    "TEXT": ("Text", False),
    "MEDIUMTEXT": ("Text", False),
    "LONGTEXT": ("Text", False),
    "TINYTEXT": ("Text", False),
    "DATE": ("Date", False),
    "TIME": ("Time", False),
    "DOUBLE": ("Double", False),
    "FLOAT": ("Float", False),
    "BLOB": ("LargeBinary", False),
    "MEDIUMBLOB": ("LargeBinary", False),
    "LONGBLOB": ("LargeBinary", False),
    "VARBINARY": ("LargeBinary", False),
    "BINARY": ("LargeBinary", False),
    "JSON": ("JSON", False),
}


def sqlalchemy_type(dtype: exp.DataType, dialect: Dialect) -> SqlType:
    """The SQLAlchemy type of a column type: the one reflection gives, or NullType (as
    reflection does) for a type SQLAlchemy has no name for, with the SQL kept."""
    kind = dtype.this.name if isinstance(dtype.this, exp.DataType.Type) else str(dtype.this)
    params = [p.name for p in dtype.expressions]
    if kind in {"VARCHAR", "CHAR", "NVARCHAR", "NCHAR"}:
        return SqlType(f"String({params[0]})" if params else "String", ((_SA, "String"),))
    if kind in {"DECIMAL", "BIGDECIMAL"}:
        args = ", ".join(params)
        return SqlType(f"Numeric({args})" if args else "Numeric", ((_SA, "Numeric"),))
    if kind in {"TIMESTAMPTZ", "TIMESTAMPLTZ"} and dialect == "postgresql":
        return SqlType("DateTime(timezone=True)", ((_SA, "DateTime"),))
    if kind in {"TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMPLTZ", "DATETIME", "DATETIME64"}:
        # MariaDB's TIMESTAMP (sqlglot reads it as TIMESTAMPTZ) keeps no zone of its own.
        return SqlType("DateTime", ((_SA, "DateTime"),))
    if kind == "JSONB" and dialect == "postgresql":
        return SqlType("JSONB", ((_PG, "JSONB"),))
    if kind == "UUID":
        return SqlType("Uuid(as_uuid=False)", ((_SA, "Uuid"),))
    if kind in _PLAIN:
        name, serial = _PLAIN[kind]
        if dialect == "mysql" and kind == "TINYINT" and params == ["1"]:
            name = "Boolean"  # MariaDB's BOOLEAN is TINYINT(1)
        return SqlType(name, ((_SA, name),), autoincrement=serial)
    return SqlType("NullType()", (("sqlalchemy.types", "NullType"),), sql=dtype.sql())
