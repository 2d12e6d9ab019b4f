"""`up`, `down`, `status` as a user drives them, on real servers."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import psutil

from tests.integration.conftest import Platform, run_ecomctl


def status_rows(platform: Platform) -> dict[str, dict[str, object]]:
    result = platform.ecomctl("status", "--json")
    return {c["name"]: c for c in json.loads(result.stdout)["components"]}


def test_up_twice_is_a_no_op(platform: Platform) -> None:
    before = {name: row["pid"] for name, row in status_rows(platform).items()}
    result = platform.ecomctl("up", "--yes", "--port-offset", str(platform.offset))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("already running") == len(before)
    assert {name: row["pid"] for name, row in status_rows(platform).items()} == before


def test_a_component_killed_with_9_is_failed_then_restarted_by_up(platform: Platform) -> None:
    pid = status_rows(platform)["redis"]["pid"]
    assert isinstance(pid, int)
    os.kill(pid, signal.SIGKILL)
    psutil.wait_procs([psutil.Process(pid)], timeout=10) if psutil.pid_exists(pid) else None
    row = status_rows(platform)["redis"]
    assert row["state"] == "failed"
    assert "ecomctl up" in str(row["detail"])
    result = platform.ecomctl("up", "--yes", "--port-offset", str(platform.offset))
    assert result.returncode == 0, result.stderr
    row = status_rows(platform)["redis"]
    assert row["state"] == "ready" and row["pid"] != pid


def test_stop_then_restart_a_service_touches_nothing_else(platform: Platform) -> None:
    before = status_rows(platform)
    stopped = platform.ecomctl("stop", "notification", "--json")
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout)["stopped"] == ["notification"]
    assert status_rows(platform)["notification"]["state"] == "stopped"
    restarted = platform.ecomctl("restart", "notification", "--json")
    assert restarted.returncode == 0, restarted.stderr
    (row,) = json.loads(restarted.stdout)["components"]
    assert row["name"] == "notification" and row["state"] == "ready"
    after = status_rows(platform)
    assert after["notification"]["pid"] not in (None, before["notification"]["pid"])
    assert after["notification"]["port"] == before["notification"]["port"]  # same offset
    others = [name for name in before if name != "notification"]
    assert {n: after[n]["pid"] for n in others} == {n: before[n]["pid"] for n in others}


def test_a_taken_port_is_named_and_port_offset_avoids_it(tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws")
    offset = 21000
    taken = 6379 + offset
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        result = run_ecomctl(
            "--workspace", workspace, "up", "--only", "redis", "--yes", "--port-offset", str(offset)
        )
        assert result.returncode == 1
        assert f"error: port {taken} for redis is taken by pid {os.getpid()}" in result.stderr
        assert "--port-offset" in result.stderr
        moved = run_ecomctl(
            "--workspace",
            workspace,
            "up",
            "--only",
            "redis",
            "--yes",
            "--json",
            "--port-offset",
            str(offset + 100),
        )
    assert moved.returncode == 0, moved.stderr
    redis_row = next(c for c in json.loads(moved.stdout)["components"] if c["name"] == "redis")
    assert redis_row["port"] == 6379 + offset + 100 and redis_row["state"] == "ready"
    pid = redis_row["pid"]
    down = run_ecomctl("--workspace", workspace, "down", "--json")
    assert json.loads(down.stdout)["stopped"] == ["redis"]
    time.sleep(0.2)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_down_stops_every_process_it_started_and_nothing_else(tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws")
    bystander = psutil.Popen(["sleep", "60"])  # a process of the same user that down must not touch
    try:
        up = run_ecomctl(
            "--workspace",
            workspace,
            "up",
            "--only",
            "redis,postgres",
            "--yes",
            "--json",
            "--port-offset",
            "22000",
        )
        assert up.returncode == 0, up.stderr
        pids = [c["pid"] for c in json.loads(up.stdout)["components"] if c["pid"]]
        families = [
            p for pid in pids for p in [psutil.Process(pid), *psutil.Process(pid).children(True)]
        ]
        assert len(pids) == 2
        down = run_ecomctl("--workspace", workspace, "down", "--volumes")
        assert down.returncode == 0, down.stderr
        _, alive = psutil.wait_procs(families, timeout=10)
        assert alive == []
        assert bystander.is_running()
        assert not (Path(workspace) / ".ecomctl" / "data" / "postgres").exists()
    finally:
        bystander.kill()
