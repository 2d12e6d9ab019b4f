"""`ecomctl up` generates, migrates and starts services; `down` stops them (real MariaDB).

A workspace of its own (ecomctl.yaml enabling the services whose templates
exist) on its own port offset, so it runs beside the shared `platform`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from ecomctl.scaffold.templates import available_kinds
from tests.integration.conftest import OFFSET, run_ecomctl

SERVICES_OFFSET = OFFSET + int(os.environ.get("ECOMCTL_TEST_SERVICES_SHIFT", "700"))
WANTED = [k for k in ("registry", "user-auth") if k in available_kinds()]
pytestmark = pytest.mark.skipif("user-auth" not in WANTED, reason="no user-auth template yet")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("services-ws")
    assert run_ecomctl("init", str(root)).returncode == 0
    stack = yaml.safe_load((root / "ecomctl.yaml").read_text())
    for name, spec in stack["services"].items():
        spec["enabled"] = name in WANTED
    (root / "ecomctl.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    only = ",".join(WANTED)
    up = run_ecomctl(
        "-w", str(root), "up", "--runtime", "local", "--yes", "--json", "--only", only,
        "--port-offset", str(SERVICES_OFFSET), timeout=900,
    )  # fmt: skip
    if up.returncode != 0:
        run_ecomctl("-w", str(root), "down")
        pytest.fail(f"ecomctl up failed ({up.returncode}):\n{up.stderr[-4000:]}")
    yield root
    run_ecomctl("-w", str(root), "down", "--volumes", check=True)


def test_up_generated_migrated_and_started_the_services(workspace: Path) -> None:
    assert (workspace / "services" / "user-auth" / ".copier-answers.yml").is_file()
    status = json.loads(run_ecomctl("-w", str(workspace), "status", "--json").stdout)
    rows = {c["name"]: c for c in status["components"]}
    assert rows["user-auth"]["kind"] == "service" and rows["user-auth"]["state"] == "ready"
    assert rows["mysql"]["state"] == "ready"
    port = rows["user-auth"]["port"]
    assert port == 8081 + SERVICES_OFFSET
    assert httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=5).status_code == 200


def test_create_admin_then_log_in_through_the_service(workspace: Path) -> None:
    ws = ("-w", str(workspace))
    made = run_ecomctl(
        *ws, "users", "create-admin", "-u", "root-admin", "-p", "Adm1n-pass", "--json"
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["created"] is True
    again = run_ecomctl(
        *ws, "users", "create-admin", "-u", "root-admin", "-p", "Adm1n-pass", "--json"
    )
    assert again.returncode == 0 and json.loads(again.stdout)["created"] is False
    clash = run_ecomctl(*ws, "users", "create-admin", "-u", "root-admin", "-p", "0ther-pass")
    assert clash.returncode == 1 and "already exists" in clash.stderr
    port = 8081 + SERVICES_OFFSET
    login = httpx.post(
        f"http://127.0.0.1:{port}/api/auth/login",
        json={"username": "root-admin", "password": "Adm1n-pass"},
        timeout=10,
    )
    assert login.status_code == 200, login.text


def test_second_up_skips_running_services_and_logs_show_them(workspace: Path) -> None:
    only = ",".join(WANTED)
    again = run_ecomctl(
        "-w", str(workspace), "up", "--yes", "--only", only,
        "--port-offset", str(SERVICES_OFFSET),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "user-auth: skip" in again.stdout
    logs = run_ecomctl("-w", str(workspace), "logs", "user-auth", "-n", "5")
    assert logs.returncode == 0 and "user-auth" in logs.stdout
