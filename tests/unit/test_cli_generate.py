"""`ecomctl init`, `generate`, `users create-admin` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from ecomctl.stack.loader import load_stack
from ecomctl.workspace import Workspace
from tests.unit.conftest import free_port, install_user_auth_stand_in
from tests.unit.test_cli import ecomctl
from tests.unit.test_scaffold import fixture_templates


def _templates(tmp_path: Path) -> dict[str, str]:
    return {"ECOMCTL_TEMPLATES_DIR": str(fixture_templates(tmp_path))}


def test_init_generate_and_update(tmp_path: Path) -> None:
    env = _templates(tmp_path)
    done = ecomctl("init", "shop", "--json", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stack_written"] is True
    shop = tmp_path / "shop"

    added = ecomctl(
        "-w",
        str(shop),
        "generate",
        "service",
        "billing",
        "-t",
        "demo",
        "--port",
        "8199",
        cwd=tmp_path,
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert "billing: {port: 8199, template: demo}" in (shop / "ecomctl.yaml").read_text()

    handlers = tmp_path / "templates" / "demo" / "template" / "src" / "demo" / "handlers.py"
    handlers.write_text('def handle() -> str:\n    return "v2"\n')
    updated = ecomctl("-w", str(shop), "generate", "update", "--json", cwd=tmp_path, env=env)
    assert updated.returncode == 0, updated.stderr
    rows = {row["name"]: row for row in json.loads(updated.stdout)}
    assert rows["billing"]["conflicts"] == [] and rows["billing"]["from"] != rows["billing"]["to"]
    assert rows["user-auth"]["from"] == rows["user-auth"]["to"]  # its template did not change


def test_generate_errors_are_one_line(tmp_path: Path) -> None:
    env = _templates(tmp_path)
    no_stack = ecomctl(
        "-w", str(tmp_path), "generate", "service", "x", "-t", "demo", cwd=tmp_path, env=env
    )
    assert no_stack.returncode == 2 and "ecomctl init" in no_stack.stderr
    ecomctl("init", str(tmp_path / "ws"), cwd=tmp_path, env=env)
    unknown = ecomctl(
        "-w", str(tmp_path / "ws"), "generate", "service", "x", "-t", "nope", cwd=tmp_path, env=env
    )
    assert unknown.returncode == 2
    assert "no template 'nope'" in unknown.stderr and "demo" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_create_admin_runs_user_auth_s_own_command(tmp_path: Path) -> None:
    """Weak input and a stopped database are the service's answers, on one line each."""
    # A workspace of its own: the default one (~/ecomctl-workspace) may hold a real stack.
    empty = str(tmp_path / "empty")
    missing = ecomctl(
        "-w", empty, "users", "create-admin", "-u", "admin", "-p", "s3cure-x", cwd=tmp_path
    )
    assert missing.returncode == 1 and "user-auth is not generated" in missing.stderr
    assert "ecomctl up" in missing.stderr
    ws = Workspace(tmp_path / "ws")
    argv_log = install_user_auth_stand_in(ws, load_stack())
    weak = ecomctl(
        "-w", str(ws.root), "users", "create-admin", "-u", "admin", "-p", "short", cwd=tmp_path
    )
    assert weak.returncode == 2 and "at least 8 characters" in weak.stderr
    down = ecomctl(
        "-w", str(ws.root), "users", "create-admin", "-u", "admin", "-p", "s3cure-enough",
        "--port-offset", str(free_port() - 3306), cwd=tmp_path,
    )  # fmt: skip
    assert down.returncode == 1, down.stderr
    assert "cannot reach the user-auth database" in down.stderr and "ecomctl up" in down.stderr
    assert "Traceback" not in down.stderr
    started = argv_log.read_text()
    assert "user_auth.entrypoints.cli create-admin --username admin" in started
    assert "short" not in started and "s3cure-enough" not in started
