"""`ecomctl projections`: help with examples, one readable line for an unknown projection
or a service that does not answer, and a rebuild followed to its switch (against a stub of
the order service's admin routes; the real service: tests/integration/test_order_projections.py)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ecomctl.cli.app import app
from tests.unit.test_cli import ecomctl

ENV = {"NO_COLOR": "1", "COLUMNS": "120"}


def generation(number: int, state: str, lag: int) -> dict[str, Any]:
    return {"generation": number, "state": state, "position": 40 - lag, "lag_events": lag,
            "lag_seconds": 0.0, "updated_at": None}  # fmt: skip


class StubOrderService(BaseHTTPRequestHandler):
    """Answers like the order service: rebuild of `sales_daily` only; its generation 2
    builds for two status reads, then serves."""

    reads = 0

    def do_POST(self) -> None:
        if self.path == "/admin/projections/sales_daily/rebuild":
            self._answer(202, {"name": "sales_daily", "generation": 2})
        else:
            detail = "unknown projection 'nope' (known: order_history, order_search, sales_daily)"
            self._answer(404, {"status": 404, "detail": detail})

    def do_GET(self) -> None:
        StubOrderService.reads += 1
        if StubOrderService.reads <= 2:
            current, gens = 1, [generation(1, "serving", 0), generation(2, "building", 20)]
        else:
            current, gens = 2, [generation(1, "retired", 0), generation(2, "serving", 0)]
        self._answer(200, [{"name": "sales_daily", "current": current, "generations": gens}])

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub_port() -> Iterator[int]:
    StubOrderService.reads = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubOrderService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def a_workspace(tmp_path: Path, order_port: int) -> Path:
    workspace = tmp_path / "ws"
    assert ecomctl("init", str(workspace), cwd=tmp_path).returncode == 0
    stack = yaml.safe_load((workspace / "ecomctl.yaml").read_text())
    stack["services"]["order"].update(enabled=True, port=order_port)
    (workspace / "ecomctl.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    return workspace


def test_help_has_examples_and_json() -> None:
    for command in ("status", "rebuild"):
        result = CliRunner().invoke(app, ["projections", command, "--help"], env=ENV)
        assert result.exit_code == 0
        assert "--json" in result.output and f"ecomctl projections {command}" in result.output


def test_a_service_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as free:  # a port nothing listens on once closed
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    workspace = a_workspace(tmp_path, port)
    done = ecomctl("-w", str(workspace), "projections", "status", cwd=tmp_path)
    assert done.returncode == 1 and f"does not answer at http://127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_projection_is_one_line_naming_the_known_ones(
    tmp_path: Path, stub_port: int
) -> None:
    workspace = a_workspace(tmp_path, stub_port)
    done = ecomctl("-w", str(workspace), "projections", "rebuild", "nope", cwd=tmp_path)
    assert done.returncode == 1
    assert "unknown projection 'nope' (known: order_history" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_rebuild_is_followed_until_its_generation_serves(tmp_path: Path, stub_port: int) -> None:
    workspace = a_workspace(tmp_path, stub_port)
    args = ("-w", str(workspace), "projections", "rebuild", "sales_daily", "--json")
    done = ecomctl(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["generation"], report["previous"], report["lag_events"]) == (2, 1, 0)
    assert "generation 2 at position 20, 20 events to go" in done.stderr
    table = ecomctl("-w", str(workspace), "projections", "status", cwd=tmp_path)
    assert table.returncode == 0 and "sales_daily" in table.stdout and "serving" in table.stdout
