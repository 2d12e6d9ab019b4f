"""Reading a service's tables from its migrations (sqlglot) and rendering them as Core tables.

Every construct the repository's migrations use has a case here, in both dialects, plus
the ones a team's next migration is likely to use (ALTER COLUMN, MODIFY/CHANGE, RENAME,
DROP); bad input stops with one line naming the file and line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ecomkit.tables import metadata as kit_metadata
from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, Numeric, SmallInteger, String
from sqlalchemy import Table as SaTable
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import NullType

from ecomctl.scaffold.schema_render import render
from ecomctl.scaffold.schema_tables import (
    KIT_TABLES,
    Dialect,
    SchemaError,
    read_schema,
    versioned_scripts,
)
from ecomctl.workspace import Workspace
from tests.integration.template_src import sql_services
from tests.unit.test_cli import ecomctl

REPO = Path(__file__).resolve().parents[2]
SQL_SERVICES = sql_services()


def tables_of(folder: Path, dialect: Dialect) -> dict[str, SaTable]:
    """The rendered module, executed: what the service imports."""
    namespace: dict[str, Any] = {}
    exec(compile(render(read_schema(folder, dialect), "shop"), "schema.py", "exec"), namespace)
    return dict(namespace["metadata"].tables)


def migrations(tmp_path: Path, **scripts: str) -> Path:
    folder = tmp_path / "db" / "migration"
    folder.mkdir(parents=True)
    for name, sql in scripts.items():
        (folder / f"{name}.sql").write_text(sql)
    return folder


def test_the_kit_tables_left_out_are_the_ones_the_kit_declares() -> None:
    assert set(kit_metadata.tables) == KIT_TABLES


def test_scripts_are_replayed_in_flyway_version_order(tmp_path: Path) -> None:
    folder = migrations(
        tmp_path,
        V10__last="ALTER TABLE t ADD COLUMN ten INT;",
        V2__second="ALTER TABLE t ADD COLUMN two INT;",
        V1__first="CREATE TABLE t (id BIGINT PRIMARY KEY);",
        U2__second="ALTER TABLE t DROP COLUMN two;",
        R__view="CREATE VIEW v AS SELECT 1;",
    )
    assert [p.name for p in versioned_scripts(folder)] == [
        "V1__first.sql",
        "V2__second.sql",
        "V10__last.sql",
    ]
    assert list(tables_of(folder, "postgresql")["t"].c.keys()) == ["id", "two", "ten"]


POSTGRES_V1 = """
CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    number VARCHAR(50) NOT NULL UNIQUE,
    total NUMERIC(10,2) NOT NULL CHECK (total >= 0),
    currency CHAR(3) NOT NULL DEFAULT 'USD',
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_orders_created_at ON orders (created_at);
CREATE TABLE lines (
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL,
    quantity INTEGER NOT NULL,
    flags SMALLINT NOT NULL DEFAULT 1,
    data JSONB,
    PRIMARY KEY (order_id, product_id)
);
CREATE TABLE outbox (id UUID PRIMARY KEY, payload JSONB NOT NULL);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.created_at := now(); RETURN NEW;
END;
$$;
CREATE TRIGGER trg BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
INSERT INTO orders (number, total) VALUES ('a', 1);
"""


def test_postgres_create_table_types_keys_and_references(tmp_path: Path) -> None:
    tables = tables_of(migrations(tmp_path, V1__create=POSTGRES_V1), "postgresql")
    assert set(tables) == {"orders", "lines"}  # the kit's outbox is the kit's
    orders, lines = tables["orders"], tables["lines"]
    assert orders.c.id.primary_key and orders.c.id.autoincrement is True
    assert isinstance(orders.c.id.type, BigInteger)
    assert isinstance(orders.c.number.type, String) and orders.c.number.type.length == 50
    assert not orders.c.number.nullable and orders.c.note.nullable
    assert (orders.c.total.type.precision, orders.c.total.type.scale) == (10, 2)
    assert isinstance(orders.c.currency.type, String) and orders.c.currency.type.length == 3
    assert isinstance(orders.c.created_at.type, DateTime) and orders.c.created_at.type.timezone
    assert [c.name for c in lines.primary_key] == ["order_id", "product_id"]
    assert [fk.target_fullname for fk in lines.c.order_id.foreign_keys] == ["orders.id"]
    assert isinstance(lines.c.flags.type, SmallInteger)
    assert isinstance(lines.c.data.type, JSONB)
    assert lines.c.product_id.autoincrement != True  # noqa: E712 ("auto": not declared serial)


POSTGRES_V2 = """
ALTER TABLE orders
    ADD COLUMN saga_state VARCHAR(50) NOT NULL DEFAULT 'STARTED',
    ADD COLUMN deadline TIMESTAMPTZ;
ALTER TABLE orders DROP COLUMN note;
ALTER TABLE orders ALTER COLUMN number TYPE VARCHAR(80);
ALTER TABLE orders ALTER COLUMN deadline SET NOT NULL;
ALTER TABLE orders ALTER COLUMN currency DROP NOT NULL;
ALTER TABLE orders ALTER COLUMN currency SET DEFAULT 'EUR';
ALTER TABLE orders RENAME COLUMN total TO total_amount;
ALTER TABLE lines RENAME TO order_lines;
ALTER TABLE orders ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE orders ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY;
CREATE TABLE gone (id INT PRIMARY KEY);
DROP TABLE gone;
"""


def test_postgres_alters_add_drop_retype_rename(tmp_path: Path) -> None:
    folder = migrations(tmp_path, V1__create=POSTGRES_V1, V2__alter=POSTGRES_V2)
    tables = tables_of(folder, "postgresql")
    assert set(tables) == {"orders", "order_lines"}
    orders = tables["orders"]
    columns = list(orders.c.keys())
    assert "note" not in columns and columns[2] == "total_amount"  # dropped; renamed in place
    assert columns[-4:] == ["saga_state", "deadline", "tx", "seq"]  # added at the end, in order
    assert orders.c.number.type.length == 80
    assert not orders.c.deadline.nullable and orders.c.currency.nullable
    assert isinstance(orders.c.tx.type, NullType)  # as reflection sees xid8
    assert orders.c.seq.autoincrement is True and not orders.c.seq.nullable
    text = render(read_schema(folder, "postgresql"), "shop")
    assert "# tx is xid8, a type SQLAlchemy has no name for" in text


MARIADB_V1 = """
-- comments, ENGINE options, inline INDEX and named constraints
CREATE TABLE inventory (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    product_id BIGINT NOT NULL,
    available INT NOT NULL DEFAULT 0,
    reserved INT NOT NULL DEFAULT 0,
    total INT AS (available + reserved) STORED,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    rating TINYINT NOT NULL,
    price DECIMAL(10,2) NOT NULL,
    doc JSON NULL,
    updated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    CONSTRAINT uq_inventory_product UNIQUE (product_id),
    CONSTRAINT ck_inventory CHECK (available >= 0),
    INDEX idx_inventory_available (available)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE reservations (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    product_id BIGINT NOT NULL,
    CONSTRAINT fk_res_product FOREIGN KEY (product_id) REFERENCES inventory (product_id)
) ENGINE=InnoDB;
DELIMITER //
CREATE PROCEDURE release_all()
BEGIN
    UPDATE inventory SET reserved = 0; DELETE FROM reservations;
END //
DELIMITER ;
"""


def test_mariadb_create_table_types_generated_columns_and_constraints(tmp_path: Path) -> None:
    tables = tables_of(migrations(tmp_path, V1__create=MARIADB_V1), "mysql")
    inventory, reservations = tables["inventory"], tables["reservations"]
    assert inventory.c.id.autoincrement is True and inventory.c.id.primary_key
    assert isinstance(inventory.c.available.type, Integer)
    assert inventory.c.total.computed is not None and inventory.c.total.computed.persisted
    assert str(inventory.c.total.computed.sqltext) == "available + reserved"
    assert isinstance(inventory.c.active.type, Boolean)
    assert isinstance(inventory.c.rating.type, SmallInteger)
    assert isinstance(inventory.c.price.type, Numeric)
    assert isinstance(inventory.c.doc.type, JSON)
    assert isinstance(inventory.c.updated.type, DateTime) and not inventory.c.updated.type.timezone
    assert [fk.target_fullname for fk in reservations.c.product_id.foreign_keys] == [
        "inventory.product_id"
    ]


MARIADB_V2 = """
ALTER TABLE inventory
    ADD COLUMN sold INT NOT NULL DEFAULT 0 AFTER reserved,
    DROP INDEX idx_inventory_available,
    ADD INDEX idx_inventory_sold (sold);
ALTER TABLE inventory MODIFY COLUMN rating SMALLINT NULL;
ALTER TABLE inventory CHANGE COLUMN doc document JSON NOT NULL;
ALTER TABLE inventory DROP COLUMN active;
ALTER TABLE reservations DROP FOREIGN KEY fk_res_product;
ALTER TABLE reservations ADD COLUMN note TEXT FIRST;
"""


def test_mariadb_alters_modify_change_after_and_drop(tmp_path: Path) -> None:
    folder = migrations(tmp_path, V1__create=MARIADB_V1, V2__alter=MARIADB_V2)
    tables = tables_of(folder, "mysql")
    inventory = tables["inventory"]
    columns = list(inventory.c.keys())
    assert columns[columns.index("reserved") + 1] == "sold"  # ADD COLUMN ... AFTER reserved
    assert "active" not in columns and "doc" not in columns  # dropped; renamed by CHANGE
    assert columns.index("document") == columns.index("price") + 1  # CHANGE keeps its place
    assert inventory.c.rating.nullable and not inventory.c.document.nullable
    assert not tables["reservations"].c.product_id.foreign_keys
    assert tables["reservations"].c.keys()[:2] == ["note", "id"]  # ADD COLUMN ... FIRST


@pytest.mark.parametrize("service", list(SQL_SERVICES))
def test_the_repository_migrations_render_to_lint_clean_python(
    service: str, tmp_path: Path
) -> None:
    """What generate writes into a service must pass the service's own ruff."""
    folder, dialect = SQL_SERVICES[service]
    tables = tables_of(folder, dialect)
    assert tables and not set(tables) & KIT_TABLES
    module = tmp_path / "schema.py"
    module.write_text(render(read_schema(folder, dialect), service))
    ruff = [sys.executable, "-m", "ruff"]
    config = ["--line-length", "100", "--target-version", "py311"]
    lint = subprocess.run(
        [*ruff, "check", *config, "--select", "E,F,W,I,B,UP,SIM,RUF", str(module)],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run(
        [*ruff, "format", *config, "--check", "--diff", str(module)],
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("CREATE TABLE t (a VARCHAR(", "V2__bad.sql:3: sqlglot cannot parse this statement"),
        ("ALTER TABLE t FROB COLUMN a", "V2__bad.sql:3: sqlglot cannot read this statement"),
        ("ALTER TABLE nowhere ADD COLUMN a INT", "table nowhere is altered before any"),
        ("ALTER TABLE t ALTER COLUMN missing SET NOT NULL", "no column missing to alter"),
    ],
)
def test_a_migration_it_cannot_read_is_one_error_naming_the_file_and_line(
    tmp_path: Path, sql: str, message: str
) -> None:
    folder = migrations(
        tmp_path, V1__ok="CREATE TABLE t (id INT PRIMARY KEY);", V2__bad=f"-- why\n\n{sql};"
    )
    with pytest.raises(SchemaError) as caught:
        read_schema(folder, "postgresql")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_generate_tables_writes_checks_and_refuses_drift(tmp_path: Path) -> None:
    """The command a team runs after adding a migration, on a generated payment service."""
    from ecomctl.scaffold import generate_service
    from ecomctl.stack.loader import load_stack

    workspace = Workspace(root=tmp_path / "shop")
    service = generate_service(
        workspace=workspace, name="payment", spec=load_stack().services["payment"]
    ).path
    schema = service / "src" / "payment" / "adapters" / "schema.py"
    assert 'Column("payment_id", String(255), nullable=False)' in schema.read_text()
    shop = ["-w", str(workspace.root), "generate", "tables"]

    fresh = ecomctl(*shop, "--check", "--json", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout)[0]["stale"] is False

    (service / "db" / "migration" / "V9__note.sql").write_text(
        "ALTER TABLE payments ADD COLUMN note VARCHAR(200);\n"
    )
    stale = ecomctl(*shop, "--check", cwd=tmp_path)
    assert stale.returncode == 1 and "ecomctl generate tables payment" in stale.stderr
    written = ecomctl(*shop, "payment", "--json", cwd=tmp_path)
    assert written.returncode == 0 and json.loads(written.stdout)[0]["written"] is True
    assert 'Column("note", String(200))' in schema.read_text()

    (service / "db" / "migration" / "V10__bad.sql").write_text("CREATE TABLE x (a VARCHAR(;\n")
    bad = ecomctl(*shop, "payment", cwd=tmp_path)
    assert bad.returncode == 2 and "V10__bad.sql:1: sqlglot cannot parse" in bad.stderr
    assert "Traceback" not in bad.stderr
