"""`ecomctl search status`: help with examples, and one readable line when OpenSearch is
not there (the real answer is read in tests/integration/test_search_service.py)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from ecomctl.cli.app import app
from tests.unit.test_cli import ecomctl

ENV = {"NO_COLOR": "1", "COLUMNS": "120"}


def test_help_has_examples_and_json() -> None:
    result = CliRunner().invoke(app, ["search", "status", "--help"], env=ENV)
    assert result.exit_code == 0
    assert "ecomctl search status --json" in result.output


def workspace_with(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A new workspace whose ecomctl.yaml `change` edited."""
    workspace = tmp_path / "ws"
    assert ecomctl("init", str(workspace), cwd=tmp_path).returncode == 0
    stack = yaml.safe_load((workspace / "ecomctl.yaml").read_text())
    change(stack)
    (workspace / "ecomctl.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    return workspace


def test_opensearch_not_answering_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as free:  # a port nothing listens on once closed
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    workspace = workspace_with(tmp_path, lambda stack: stack["infra"]["search"].update(port=port))
    done = ecomctl("--workspace", str(workspace), "search", "status", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert f"OpenSearch does not answer at http://127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_reindex_help_has_examples_and_json() -> None:
    result = CliRunner().invoke(app, ["search", "reindex", "--help"], env=ENV)
    assert result.exit_code == 0
    assert "ecomctl search reindex --json" in result.output


def test_reindex_without_a_catalog_is_one_line_and_exit_2(tmp_path: Path) -> None:
    def without_catalog(stack: dict[str, Any]) -> None:
        for service in stack["services"].values():
            if service["template"] == "product-catalog":
                service["enabled"] = False

    workspace = workspace_with(tmp_path, without_catalog)
    done = ecomctl("--workspace", str(workspace), "search", "reindex", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "the stack has no enabled product-catalog service" in done.stderr
    assert "Traceback" not in done.stderr


def test_reindex_failures_are_explained_by_exit_code() -> None:
    from ecomctl.search.commands import _explain

    said = "building x\nerror: Kafka does not answer (boom); nothing changed\n"
    unreachable = _explain(3, said, "ps")
    assert str(unreachable).startswith("Kafka does not answer") and unreachable.hint
    failed = _explain(1, "error: the alias moved to products-v1-1, but ...\n", "ps")
    assert str(failed) == "reindex failed: the alias moved to products-v1-1, but ..."
    crashed = _explain(1, "Traceback\nKeyError: 'x'\n", "ps")
    assert "KeyError: 'x'" in str(crashed)


def test_top_help_has_examples_and_bounds() -> None:
    result = CliRunner().invoke(app, ["search", "top", "--help"], env=ENV)
    assert result.exit_code == 0
    assert "ecomctl search top" in result.output and "--json" in result.output
    bad = CliRunner().invoke(app, ["search", "top", "--hours", "48"], env=ENV)
    assert bad.exit_code == 2
