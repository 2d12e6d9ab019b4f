"""`ecomctl search status`: help with examples, and one readable line when OpenSearch is
not there (the real answer is read in tests/integration/test_search_service.py)."""

from __future__ import annotations

import socket
from pathlib import Path

import yaml
from typer.testing import CliRunner

from ecomctl.cli.app import app
from tests.unit.test_cli import ecomctl

ENV = {"NO_COLOR": "1", "COLUMNS": "120"}


def test_help_has_examples_and_json() -> None:
    result = CliRunner().invoke(app, ["search", "status", "--help"], env=ENV)
    assert result.exit_code == 0
    assert "ecomctl search status --json" in result.output


def test_opensearch_not_answering_is_one_line_and_exit_1(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    assert ecomctl("init", str(workspace), cwd=tmp_path).returncode == 0
    stack = yaml.safe_load((workspace / "ecomctl.yaml").read_text())
    with socket.socket() as free:  # a port nothing listens on once closed
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    stack["infra"]["search"]["port"] = port
    (workspace / "ecomctl.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    done = ecomctl("--workspace", str(workspace), "search", "status", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert f"OpenSearch does not answer at http://127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
