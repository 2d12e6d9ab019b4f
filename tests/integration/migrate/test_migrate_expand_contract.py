# ruff: noqa: E501  (SQL fixtures read better on one line)
"""Expand/contract on real PostgreSQL and MariaDB, and bare `migrate` over a workspace.

Only the two database servers are needed, so this module brings up its own stack
(`up --only postgres,mysql`) at its own offset instead of the whole platform.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from migrate_support import new_database, rows, settings, write

from ecomctl.migrate import DatabaseUrl
from ecomctl.migrate.phases import ExpandRefused, apply_contract, apply_expand, check_expand
from tests.integration.conftest import OFFSET, UP_TIMEOUT_S, Platform, run_ecomctl

pytestmark = pytest.mark.integration
DATABASES_OFFSET = OFFSET + 3500


@pytest.fixture(scope="session", name="platform")
def databases_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    workspace = tmp_path_factory.mktemp("databases")
    result = run_ecomctl(
        "--workspace", str(workspace), "up", "--runtime", "local", "--yes", "--json",
        "--only", "postgres,mysql", "--port-offset", str(DATABASES_OFFSET), timeout=UP_TIMEOUT_S,
    )  # fmt: skip
    if result.returncode != 0:
        run_ecomctl("--workspace", str(workspace), "down")
        pytest.fail(
            f"ecomctl up (databases) failed ({result.returncode}):\n{result.stderr[-4000:]}"
        )
    components = {c["name"]: c for c in json.loads(result.stdout)["components"]}
    yield Platform(workspace=workspace, offset=DATABASES_OFFSET, components=components)
    run_ecomctl("--workspace", str(workspace), "down", "--volumes", check=True)


@pytest.fixture(scope="session", name="postgres_url")
def databases_postgres(platform: Platform) -> str:
    return f"postgresql://ecomctl:ecomctl@127.0.0.1:{platform.port('postgres')}/postgres"


@pytest.fixture(scope="session", name="mysql_url")
def databases_mysql(platform: Platform) -> str:
    return f"mysql://ecomctl:ecomctl@127.0.0.1:{platform.port('mysql')}/mysql"


RELEASE = {
    "V1__orders.sql": "CREATE TABLE orders (id INT PRIMARY KEY, legacy_total INT);\n",
    "V2__add_total.sql": "ALTER TABLE orders ADD COLUMN total INT NOT NULL DEFAULT 0;\nCREATE INDEX idx_orders_total ON orders (total);\n",
    "V3__drop_legacy.sql": "-- ecomctl:contract\n-- blue still reads legacy_total: only after promotion\nALTER TABLE orders DROP COLUMN legacy_total;\n",
    "V4__notes.sql": "CREATE TABLE notes (id INT);\n",
    "R__totals.sql": "CREATE OR REPLACE VIEW order_totals AS SELECT id, total FROM orders;\n",
}
HISTORY = "SELECT script FROM flyway_schema_history ORDER BY installed_rank"


def _schema(url: DatabaseUrl) -> str:
    return "current_schema()" if url.dialect == "postgresql" else "DATABASE()"


def columns(url: DatabaseUrl, table: str) -> list[str]:
    found = rows(
        url,
        f"SELECT column_name FROM information_schema.columns WHERE table_schema = {_schema(url)} "
        f"AND table_name = '{table}' ORDER BY column_name",
    )
    return [str(r[0]) for r in found]


def tables(url: DatabaseUrl) -> list[str]:
    found = rows(
        url, f"SELECT table_name FROM information_schema.tables WHERE table_schema = {_schema(url)}"
    )
    return [str(r[0]) for r in found]


def test_expand_stops_before_the_contract_script_and_contract_applies_the_rest(
    any_db: DatabaseUrl, tmp_path: Path
) -> None:
    config = settings(any_db, write(tmp_path, RELEASE))
    assert check_expand(settings=config) == []
    expanded = apply_expand(settings=config)
    assert [a.script for a in expanded.applied] == ["V1__orders.sql", "V2__add_total.sql"]
    assert expanded.held_back == ["V3__drop_legacy.sql", "V4__notes.sql"]
    assert (expanded.phase, expanded.target_version) == ("expand", "2")
    assert [r[0] for r in rows(any_db, HISTORY)] == ["V1__orders.sql", "V2__add_total.sql"]
    assert columns(any_db, "orders") == ["id", "legacy_total", "total"]  # blue still works
    assert apply_expand(settings=config).applied == []  # again: nothing more before V3

    contracted = apply_contract(settings=config)
    assert [a.script for a in contracted.applied] == [
        "V3__drop_legacy.sql",
        "V4__notes.sql",
        "R__totals.sql",
    ]
    assert (contracted.phase, contracted.target_version) == ("contract", "4")
    assert columns(any_db, "orders") == ["id", "total"]


def test_a_destructive_expand_script_is_refused_and_nothing_is_applied(
    any_db: DatabaseUrl, tmp_path: Path
) -> None:
    scripts = {
        "V1__orders.sql": "CREATE TABLE orders (id INT PRIMARY KEY, status VARCHAR(16));\n",
        "V2__status.sql": "-- 'DROP' in a comment or a string is fine\nUPDATE orders SET status = 'drop';\nALTER TABLE orders\n  RENAME COLUMN status TO state;\n",
    }
    config = settings(any_db, write(tmp_path, scripts))
    (finding,) = check_expand(settings=config)
    assert (finding.script, finding.line, finding.what) == ("V2__status.sql", 4, "RENAME COLUMN")
    with pytest.raises(ExpandRefused, match=r"nothing applied: V2__status\.sql:4: RENAME COLUMN"):
        apply_expand(settings=config)
    assert tables(any_db) == []  # not even V1 ran, no history table either
    allowed = apply_expand(settings=config, allow_contract=True)
    assert [a.version for a in allowed.applied] == ["1", "2"]
    assert allowed.warnings == [f"allowed by --allow-contract: {finding}"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-c", "from ecomctl.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_the_cli_refuses_in_one_line_and_applies_by_phase(
    pg_db: DatabaseUrl, tmp_path: Path
) -> None:
    folder = write(
        tmp_path,
        {**RELEASE, "V2__add_total.sql": "ALTER TABLE orders ADD COLUMN total INT NOT NULL;\n"},
    )
    target = ["migrate", "--url", str(pg_db), "--locations", str(folder)]
    refused = cli(*target, "--phase", "expand")
    assert refused.returncode == 1
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: expand phase refused, nothing applied: V2__add_total.sql:1: ADD COLUMN ... NOT NULL "
        "without DEFAULT (ALTER TABLE orders ADD COLUMN total INT NOT NULL)"
    ]
    assert "Traceback" not in refused.stderr
    write(folder, {"V2__add_total.sql": RELEASE["V2__add_total.sql"]})
    expanded = json.loads(cli(*target, "--phase", "expand", "--json").stdout)
    assert [a["version"] for a in expanded["applied"]] == ["1", "2"]
    shown = cli(*target, "--phase", "contract")
    assert shown.returncode == 0 and "now at version 4" in shown.stdout


# ---- bare migrate over a workspace -------------------------------------------------------
def workspace_with_two_services(
    root: Path, postgres_url: str, mysql_url: str, platform: Platform
) -> tuple[DatabaseUrl, DatabaseUrl]:
    orders, stock = new_database(postgres_url), new_database(mysql_url)
    write(
        root / "migrations" / "order",
        {
            "V1__orders.sql": "CREATE TABLE orders (id INT);\n",
            "V2__notes.sql": "ALTER TABLE orders ADD COLUMN note TEXT;\n",
        },
    )
    write(
        root / "migrations" / "inventory",
        {"V1__stock.sql": "CREATE TABLE stock (sku VARCHAR(8));\n"},
    )
    (root / "ecomctl.yaml").write_text(
        "version: 1\nname: two\ninfra:\n"
        f"  postgres: {{port: {platform.port('postgres') - platform.offset}}}\n"
        f"  mysql: {{port: {platform.port('mysql') - platform.offset}}}\n"
        "services:\n"
        f"  order: {{port: 8083, template: order, uses: [postgres], database: {orders.database}}}\n"
        f"  inventory: {{port: 8085, template: inventory, uses: [mysql], database: {stock.database}}}\n"
        "  notification: {port: 8086, template: notification}\n"
    )
    return orders, stock


def test_bare_migrate_acts_on_every_service_in_order(
    platform: Platform, postgres_url: str, mysql_url: str, tmp_path: Path
) -> None:
    orders, stock = workspace_with_two_services(tmp_path, postgres_url, mysql_url, platform)
    bare = ["--workspace", str(tmp_path), "migrate"]
    offset = ["--port-offset", str(platform.offset)]
    pending = json.loads(cli(*bare, "info", *offset, "--json").stdout)
    assert [(s["service"], s["pending"], s["status"]) for s in pending["services"]] == [
        ("order", 2, "2 pending"),
        ("inventory", 1, "1 pending"),
    ]
    done = cli(*bare, *offset)
    assert done.returncode == 0, done.stderr
    assert "migrate: every service (phase all)" in done.stdout
    document = json.loads(cli(*bare, *offset, "--json").stdout)
    assert document["ok"] and [s["status"] for s in document["services"]] == ["up to date"] * 2
    assert [r[0] for r in rows(orders, HISTORY)] == ["V1__orders.sql", "V2__notes.sql"]
    assert [r[0] for r in rows(stock, HISTORY)] == ["V1__stock.sql"]
    table = cli(*bare, "info", *offset)
    assert table.returncode == 0 and "order" in table.stdout and "inventory" in table.stdout

    write(tmp_path / "migrations" / "order", {"V3__broken.sql": "SELECT * FROM nowhere;\n"})
    write(tmp_path / "migrations" / "inventory", {"V2__more.sql": "CREATE TABLE more (id INT);\n"})
    failed = cli(*bare, *offset, "--json")
    assert failed.returncode == 1
    report = json.loads(failed.stdout)
    assert [(s["service"], s["status"]) for s in report["services"]] == [
        ("order", "failed"),
        ("inventory", "not attempted"),
    ]
    assert "V3__broken.sql" in report["services"][0]["error"]
    assert "migrate stopped at service order" in failed.stderr
    assert "not attempted: inventory" in failed.stderr
    assert [r[0] for r in rows(stock, HISTORY)] == ["V1__stock.sql"]  # inventory untouched
