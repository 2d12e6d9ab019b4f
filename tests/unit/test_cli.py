"""The CLI as a user meets it: exit codes, one-line errors, JSON on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def ecomctl(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "NO_COLOR": "1",
        "COLUMNS": "120",
        "ECOMCTL_CACHE_DIR": str(cwd / "cache"),
        "ECOMCTL_RUNTIME": "local",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-c", "from ecomctl.cli.app import main; main()", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_the_commands_with_examples(tmp_path: Path) -> None:
    result = ecomctl("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("up", "down", "status", "logs", "doctor", "infra", "render"):
        assert command in result.stdout
    assert "Examples" in ecomctl("up", "--help", cwd=tmp_path).stdout


def test_a_bad_stack_file_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "ecomctl.yaml").write_text("version: 1\nname: x\ninfra:\n  redis:\n    port: -1\n")
    result = ecomctl("status", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'ecomctl.yaml'}:5: infra.redis.port: "
        "Input should be greater than or equal to 1"
    ]
    assert "Traceback" not in result.stderr


def test_unknown_only_component_is_a_usage_error(tmp_path: Path) -> None:
    result = ecomctl(
        "--workspace", str(tmp_path / "ws"), "up", "--only", "kafak", "--yes", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "--only: unknown component(s) kafak" in result.stderr
    assert not (tmp_path / "ws").exists()  # bad input changes nothing


def test_only_may_be_repeated_as_well_as_comma_separated(tmp_path: Path) -> None:
    result = ecomctl(
        "--workspace", str(tmp_path / "ws"), "up", "--only", "kafka,nosuch", "--only", "zipkn",
        "--yes", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--only: unknown component(s) nosuch, zipkn" in result.stderr


def test_stop_and_restart_of_an_unknown_component_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "ecomctl.yaml").write_text(
        "version: 1\nname: x\ninfra:\n  redis:\n    port: 6399\n"
    )
    for command in ("stop", "restart"):
        result = ecomctl(command, "rediss", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "unknown component(s) rediss" in result.stderr
        assert "Traceback" not in result.stderr
    assert ecomctl("restart", cwd=tmp_path).returncode == 2  # no name at all


def test_status_json_of_a_stack_never_started(tmp_path: Path) -> None:
    (tmp_path / "ecomctl.yaml").write_text(
        "version: 1\nname: x\ninfra:\n  redis:\n    port: 6399\n"
    )
    result = ecomctl("status", "--json", cwd=tmp_path)
    assert result.returncode == 1  # not everything is ready
    payload = json.loads(result.stdout)
    assert payload["runtime"] == "local"
    assert payload["components"] == [
        {
            "name": "redis",
            "kind": "infra",
            "state": "stopped",
            "port": 6399,
            "runtime": "local",
            "ports": {},
            "pid": None,
            "uptime_s": None,
            "rss_mb": None,
            "version": None,
            "detail": "",
            "color": None,
        }
    ]


@pytest.mark.parametrize("args", [["--runtime", "kubernetes"], ["--port-offset", "-5"]])
def test_bad_options_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = ecomctl("--workspace", str(tmp_path / "ws"), "up", *args, "--yes", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
