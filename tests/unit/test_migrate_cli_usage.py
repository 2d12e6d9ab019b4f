"""`ecomctl migrate` as a user meets it: --phase, bare migrate/info, usage errors (no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ecomctl.cli.app import app
from ecomctl.errors import ExitCode, UsageError
from ecomctl.migrate.fleet import ServicesFailed
from tests.unit.conftest import free_port

runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace whose stack has two services with databases on ports nobody listens on."""
    root = tmp_path / "ws"
    for service in ("order", "inventory"):
        folder = root / "migrations" / service
        folder.mkdir(parents=True)
        (folder / "V1__init.sql").write_text("CREATE TABLE t (id INT);\n")
    (root / "ecomctl.yaml").write_text(
        "version: 1\nname: unit\ninfra:\n"
        f"  postgres: {{port: {free_port()}, databases: [orders]}}\n"
        f"  mysql: {{port: {free_port()}, databases: [inventory]}}\n"
        "services:\n"
        "  inventory: {port: 18085, template: inventory, uses: [mysql], database: inventory}\n"
        "  order: {port: 18083, template: order, uses: [postgres], database: orders}\n"
        "  notification: {port: 18086, template: notification}\n"
    )
    return root


def migrate(workspace: Path, *args: str) -> Any:
    return runner.invoke(
        app,
        ["--workspace", str(workspace), "migrate", *args],
        env={"NO_COLOR": "1", "COLUMNS": "200"},
    )


def test_help_shows_the_phases_and_bare_migrate(workspace: Path) -> None:
    shown = migrate(workspace, "--help").output
    assert "ecomctl migrate --phase expand --service order" in shown
    assert "ecomctl migrate info " in shown and "every service" in shown
    assert "--allow-contract" in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "3"], "--target needs --service NAME or --url URL"),
        (["--locations", "db"], "--locations needs --service NAME or --url URL"),
        (["info", "--schema", "s"], "--schema needs --service NAME or --url URL"),
        (["--allow-contract"], "--allow-contract only applies to --phase expand"),
        (["--phase", "contract", "--allow-contract"], "--allow-contract only applies"),
        (["--phase", "expand", "info"], "--phase and --allow-contract belong to migrate"),
        (["validate"], "give exactly one of --service NAME or --url URL"),
    ],
)
def test_usage_errors_change_nothing(workspace: Path, args: list[str], message: str) -> None:
    result = migrate(workspace, *args)
    assert isinstance(result.exception, UsageError), result.output
    assert message in str(result.exception)
    assert result.exception.exit_code == ExitCode.USAGE


def test_an_unknown_phase_is_refused_by_the_parser(workspace: Path) -> None:
    result = migrate(workspace, "--phase", "later")
    assert result.exit_code == 2 and "'later' is not one of" in result.output


def test_bare_migrate_stops_at_the_first_service_and_says_which(workspace: Path) -> None:
    result = migrate(workspace, "--json")
    assert isinstance(result.exception, ServicesFailed)
    message = str(result.exception)
    assert message.startswith("migrate stopped at service inventory: cannot connect to mysql://")
    assert message.endswith("; not attempted: order")
    document = json.loads(result.stdout)
    assert (document["command"], document["phase"], document["ok"]) == ("migrate", "all", False)
    # the stack file's start order; notification has no database
    assert [(s["service"], s["status"]) for s in document["services"]] == [
        ("inventory", "failed"),
        ("order", "not attempted"),
    ]


def test_bare_info_prints_one_table(workspace: Path) -> None:
    result = migrate(workspace, "info")
    assert isinstance(result.exception, ServicesFailed)
    assert "info: every service" in result.stdout
    for column in ("Service", "Database", "Applied", "Pending", "Version", "Status"):
        assert column in result.stdout
    assert "not attempted" in result.stdout
