"""`ecomctl loadtest` against the real platform: a short run passes loose gates, an
impossible gate fails by name, reports hold the numbers, completion comes from the orders."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.conftest import Platform

SHORT = ["--users", "4", "--spawn-rate", "4", "--duration", "8s", "--seed", "7"]
LOOSE = "p95=5s,errors=5%,completion=80%"  # the machine is shared: gates here check wiring


def test_short_run_passes_and_writes_reports(platform: Platform, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = platform.ecomctl(
        "loadtest", "--profile", "checkout", *SHORT, "--slo", LOOSE,
        "--html", str(html), "--csv", str(tmp_path / "run"), "--json", timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["ok"] and all(g["ok"] for g in report["gates"])
    assert report["total"]["requests"] > 0
    assert any(e["name"] == "/api/orders" for e in report["endpoints"])
    orders = report["orders"]
    assert orders["placed"] > 0 and orders["completed"] >= 1
    assert sum(orders["statuses"].values()) == orders["placed"]
    text = html.read_text()
    assert "/api/orders" in text and "Locust" in text
    assert (tmp_path / "run_stats.csv").is_file()


def test_impossible_gate_fails_by_name(platform: Platform) -> None:
    result = platform.ecomctl(
        "loadtest", "--profile", "browse", *SHORT, "--slo", "p95=1ms", timeout=240
    )
    assert result.returncode == 1
    assert "gate failed: p95=1ms" in result.stderr


def test_bad_options_send_nothing(platform: Platform) -> None:
    for args, message in (
        (["--profile", "nope"], "unknown profile"),
        (["--slo", "p95=soon"], "malformed SLO"),
    ):
        result = platform.ecomctl("loadtest", *args)
        assert result.returncode == 2 and message in result.stderr
