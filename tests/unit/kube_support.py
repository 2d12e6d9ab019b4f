"""Rendering the chart and running the real Helm on it, for the chart tests.

Helm is built from its Go module by scripts/assets/helm.sh (once per version, cached in
~/.cache/ecomctl/tools); a test session without it builds it first.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from ecomctl.kube.chart import write_chart
from ecomctl.stack.loader import default_stack_path, load_stack

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "kube"
HELM_VERSION = "v4.3.2"
TOOLS = Path.home() / ".cache" / "ecomctl" / "tools"
HELM = TOOLS / f"helm-{HELM_VERSION}" / "helm"
CHECKOV = TOOLS / "checkov-3.3.30" / "bin" / "checkov"
STRIMZI_MODELS = TOOLS / "strimzi-models-1.0.1"
STRIMZI_GROUP = "kafka.strimzi.io"
RELEASE = "shop"

# Value sets beside the defaults: each switches on what the defaults leave off.
VALUE_SETS: dict[str, dict[str, Any]] = {
    "default": {},
    "rollouts": {
        "image": {"registry": "images.example.internal", "digest": "sha256:" + "a" * 64},
        "rollouts": {
            "enabled": True,
            "gates": "success>=99.5%,error<=1%,p95<=250ms,p99<=1s,rps>=1,requests>=20,"
            "errors<=5,event_failures<=0,dead_lettered<=0,lag<=1000,compare",
            "canaryWeights": [5, 20, 50],
        },
        "monitoring": {"alertRulesFile": str(FIXTURES / "alert-rules.yaml")},
        "services": {
            "order": {"replicas": 3, "autoscaling": {"minReplicas": 3, "maxReplicas": 12}},
            "registry": {"existingSecret": "shared-registry"},
        },
    },
    "external": {
        "ingress": {"className": "traefik", "host": "shop.example.org", "tlsSecret": "shop-tls"},
        "monitoring": {"serviceMonitor": False},
        "migrations": {"enabled": False},
        "infra": {
            name: {"mode": "external", "external": {"host": f"{name}.managed.internal"}}
            for name in ("kafka", "postgres", "mysql", "mongo", "redis", "search", "zipkin")
        }
        | {"smtp": {"external": {"host": "smtp.example.org", "port": 587}},
           "stripe": {"external": {"host": "api.stripe.example", "cidr": "10.0.0.0/8"}}},
        "services": {"notification": {"enabled": False}},
    },
}  # fmt: skip


def render_chart(tmp_path: Path, values: dict[str, Any]) -> Path:
    values_file = tmp_path / "values.yaml"
    values_file.write_text(yaml.safe_dump(values), encoding="utf-8")
    return write_chart(load_stack(), default_stack_path(), tmp_path / "chart", values_file)


def _tool(path: Path, asset: str) -> str:
    """The tool at `path`, installed by its scripts/assets script when missing."""
    if not path.exists():
        subprocess.run(["bash", str(ROOT / "scripts/assets" / asset)], check=True, timeout=1800)
    return str(path)


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    command = [_tool(HELM, "helm.sh"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def checkov_failures(manifests: Path) -> list[dict[str, Any]]:
    """checkov's failed Kubernetes checks on a file of rendered objects."""
    command = [_tool(CHECKOV, "checkov.sh"), "-f", str(manifests), "--framework", "kubernetes"]
    done = subprocess.run(
        [*command, "-o", "json", "--compact", "--quiet", "--skip-download"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    reports = report if isinstance(report, list) else [report]
    return [check for one in reports for check in one.get("results", {}).get("failed_checks", [])]


def strimzi_problems(objects: list[dict[str, Any]]) -> dict[str, list[str]]:
    """'Kind name' -> schema errors of each Strimzi object, from the Strimzi CRDs' validators.

    Node.js runs fixtures/kube/validate-strimzi.mjs once for all objects; the validators
    come from the npm package that scripts/assets/strimzi-models.sh installs.
    """
    models = _tool(STRIMZI_MODELS / ".complete", "strimzi-models.sh")
    script = FIXTURES / "validate-strimzi.mjs"
    done = subprocess.run(
        ["node", str(script), str(Path(models).parent)],
        input=json.dumps(objects), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    return {f"{r['kind']} {r['name']}": r["errors"] for r in results if not r.get("skipped")}


def template(chart: Path, *options: str) -> tuple[str, list[dict[str, Any]]]:
    """`helm template`'s output and its objects (hooks included)."""
    done = helm("template", RELEASE, str(chart), "--namespace", "shop", *options)
    assert done.returncode == 0, done.stderr
    return done.stdout, [doc for doc in yaml.safe_load_all(done.stdout) if doc]
