"""The Grafana dashboards: read back through Grafana's schema-generated models, every query
valid PromQL (promtool), every metric one the stack exports or records."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard
from typer.testing import CliRunner

from ecomctl.alerts.rules import RECORDING
from ecomctl.cli.app import app
from ecomctl.dashboards import DASHBOARDS, dashboard_documents
from tests.integration.test_metrics import EVERY_METRIC

NAME = re.compile(r"\b(?:ecom_|http_|gateway_|service:|route:|group:)[A-Za-z0-9_:]+")


def expressions(document: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in document["panels"] for t in p.get("targets", [])]


def test_every_dashboard_reads_back_through_grafanas_models() -> None:
    documents = dashboard_documents()
    assert set(documents) == set(DASHBOARDS) == {"red", "saga", "kafka", "business"}
    for name, document in documents.items():
        again = json.loads(json.dumps(Dashboard.from_json(document), cls=JSONEncoder))
        assert again == document, name
        assert document["uid"] == f"ecomctl-{name}" and document["panels"]
        for panel in document["panels"]:
            assert panel["datasource"]["uid"] == "ecomctl-prometheus"
            assert [t["refId"] for t in panel["targets"]] == [
                chr(ord("A") + i) for i in range(len(panel["targets"]))
            ]


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    rules = [
        {"record": f"dashboard:query_{i}", "expr": expr}
        for i, expr in enumerate(e for d in dashboard_documents().values() for e in expressions(d))
    ]
    (tmp_path / "queries.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "q", "rules": rules}]})
    )
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    result = subprocess.run(
        [promtool, "check", "rules", "queries.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_is_exported_or_recorded() -> None:
    known = {*(r["record"] for r in RECORDING), *EVERY_METRIC}
    known |= {m.removesuffix("_bucket") + "_bucket" for m in EVERY_METRIC}
    known |= {"gateway_circuit_open", "ecom_event_failures_total"}
    used = {
        n for d in dashboard_documents().values() for e in expressions(d) for n in NAME.findall(e)
    }
    assert used <= known, sorted(used - known)


def test_render_dashboards_writes_dashboards_and_provisioning(tmp_path: Path) -> None:
    out = tmp_path / "grafana"
    result = CliRunner().invoke(app, ["render", "dashboards", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    paths = {Path(p).relative_to(out).as_posix() for p in json.loads(result.output)["paths"]}
    assert paths == {
        "dashboards/red.json", "dashboards/saga.json", "dashboards/kafka.json",
        "dashboards/business.json", "provisioning/datasources/prometheus.yaml",
        "provisioning/dashboards/ecomctl.yaml",
    }  # fmt: skip
    source = yaml.safe_load((out / "provisioning/datasources/prometheus.yaml").read_text())
    assert source["datasources"][0]["uid"] == "ecomctl-prometheus"
