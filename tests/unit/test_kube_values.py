"""`ecomctl render helm` values and `render ci github-actions`, without Helm: what the chart
is told (addresses, secrets, network paths, gates) and the refusals of bad values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ecomctl.errors import UsageError
from ecomctl.kube.analysis import analysis_metrics
from ecomctl.kube.settings import HelmSettings, load_settings
from ecomctl.kube.values import chart_values
from ecomctl.kube.workflow import render_workflow
from ecomctl.rollout.gates import DEFAULT_GATES
from ecomctl.stack.loader import default_stack_path, load_stack
from tests.unit.kube_support import FIXTURES
from tests.unit.test_cli import ecomctl


def values(**settings: Any) -> dict[str, Any]:
    return chart_values(load_stack(), HelmSettings.model_validate(settings), default_stack_path())


def test_services_reach_the_operators_services_and_hold_no_secret() -> None:
    services = values()["services"]
    order = services["order"]
    assert order["env"]["ECOM_KAFKA_BOOTSTRAP"] == "ecommerce-kafka-kafka-bootstrap:9092"
    assert order["env"]["ECOM_ENVIRONMENT"] == "production"
    assert order["secretKeys"] == [
        "ECOM_CLIENT_SECRET",
        "ECOM_REGISTRY_SECRET",
        "ECOM_DATABASE_URL",
    ]
    assert services["payment"]["secretKeys"] == [
        "ECOM_CLIENT_SECRET", "ECOM_REGISTRY_SECRET", "ECOM_DATABASE_URL", "ECOM_STRIPE_API_KEY",
    ]  # fmt: skip
    assert services["notification"]["secretKeys"] == [
        "ECOM_CLIENT_SECRET",
        "ECOM_REGISTRY_SECRET",
        "ECOM_MONGO_URL",
    ]
    every_value = json.dumps({name: s["env"] for name, s in services.items()})
    assert "ecomctl:ecomctl@" not in every_value and "sk_test" not in every_value
    assert order["migrations"] == "order" and services["notification"]["migrations"] == ""


def test_network_paths_are_the_architectures_calls() -> None:
    services = values()["services"]
    assert services["gateway"]["calls"] == [n for n in services if n != "gateway"]
    assert services["order"]["calls"] == ["registry"]
    assert services["order"]["calledBy"] == ["gateway"]
    assert set(services["registry"]["calledBy"]) == set(services) - {"registry"}
    order_stores = [rule["to"][0] for rule in services["order"]["egress"]]
    assert {"podSelector": {"matchLabels": {"cnpg.io/cluster": "ecommerce-postgres-orders"}}} in (
        order_stores
    )
    assert services["gateway"]["ingress"] and not services["order"]["ingress"]


def test_a_disabled_services_database_gets_no_cluster() -> None:
    stack = load_stack()
    assert not stack.services["recommendation"].enabled  # opt-in in the default stack
    made = values()["infra"]["postgres"]["databases"]
    assert made == ["orders", "payments", "events"]  # `events` has no owner: kept
    opted_in = stack.services["recommendation"].model_copy(update={"enabled": True})
    stack = stack.model_copy(update={"services": {**stack.services, "recommendation": opted_in}})
    enabled = chart_values(stack, HelmSettings(), default_stack_path())
    assert "recommendations" in enabled["infra"]["postgres"]["databases"]


def test_external_endpoints_replace_operator_resources() -> None:
    chosen = values(infra={"kafka": {"mode": "external", "external": {"host": "k.managed"}}})
    assert chosen["services"]["order"]["env"]["ECOM_KAFKA_BOOTSTRAP"] == "k.managed:9092"
    assert chosen["infra"]["kafka"]["mode"] == "external"
    assert {
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
        "ports": [{"port": 9092, "protocol": "TCP"}],
    } in (chosen["services"]["order"]["egress"])


def test_topics_and_their_dead_letter_topics_become_kafka_topics() -> None:
    topics = values()["infra"]["kafka"]["topics"]
    assert {"name": "order-created-events", "partitions": 6} in topics
    assert {"name": "order-created-events.DLQ", "partitions": 6} in topics


def test_the_default_gates_map_to_analysis_metrics() -> None:
    metrics = {m["name"]: m for m in analysis_metrics("", window="1m", min_requests=20)}
    assert list(metrics) == ["success", "p95", "compare-latency", "compare-errors"]
    assert DEFAULT_GATES == "success>=99%,p95<=500ms,compare"
    assert metrics["success"]["successCondition"] == "len(result) > 0 && result[0] >= 99"
    assert metrics["success"]["failureCondition"] == "len(result) > 0 && result[0] < 99"
    assert ">= 20)" in metrics["p95"]["query"]  # too few requests: no result, inconclusive
    assert "{{args.stable-hash}}" in metrics["compare-latency"]["query"]
    seconds = analysis_metrics("p99<=1s", window="1m", min_requests=20)[0]
    assert seconds["successCondition"].endswith("<= 1000")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"services": {"shipping": {"replicas": 2}}}, "unknown service 'shipping' in values"),
        ({"services": {"order": {"replicas": -1}}}, "services.order.replicas: Input should be"),
        (
            {"services": {"payment": {"env": {"ECOM_STRIPE_API_KEY": "sk_live_x"}}}},
            "ECOM_STRIPE_API_KEY is a secret given as a plain value",
        ),
        (
            {"services": {"order": {"env": {"ECOM_REPLICA_URL": "postgresql://u:p@db/x"}}}},
            "a secret given as a plain value",
        ),
        ({"rollouts": {"gates": "p95<=fast"}}, "bad gate 'p95<=fast'"),
        ({"infra": {"kafka": {"mode": "external"}}}, "infra.kafka.external.host"),
        ({"replicas": 3}, "replicas: unknown key"),
    ],
)
def test_bad_values_are_refused_with_one_line(
    tmp_path: Path, document: dict[str, Any], expected: str
) -> None:
    values_file = tmp_path / "bad.yaml"
    values_file.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        settings = load_settings(values_file)
        chart_values(load_stack(), settings, default_stack_path())
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_cli_refuses_a_negative_replica_count_in_one_line(tmp_path: Path) -> None:
    values_file = tmp_path / "bad.yaml"
    values_file.write_text("services: {order: {replicas: -2}}\n", encoding="utf-8")
    done = ecomctl(
        "--workspace", str(tmp_path / "ws"), "render", "helm", "--values", str(values_file),
        "-o", str(tmp_path / "chart"), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) <= 2 and "services.order.replicas" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_the_cli_writes_a_chart_and_a_workflow(tmp_path: Path) -> None:
    chart = ecomctl(
        "--workspace", str(tmp_path / "ws"), "render", "helm", "-o", str(tmp_path / "c"),
        "--json", cwd=tmp_path,
    )  # fmt: skip
    assert chart.returncode == 0, chart.stderr
    assert json.loads(chart.stdout) == {"path": str(tmp_path / "c")}
    assert (tmp_path / "c" / "templates" / "workload.yaml").is_file()
    flow = ecomctl(
        "--workspace", str(tmp_path / "ws"), "render", "ci", "github-actions",
        "-o", str(tmp_path / "ci.yaml"), cwd=tmp_path,
    )  # fmt: skip
    assert flow.returncode == 0, flow.stderr
    assert "jobs:" in (tmp_path / "ci.yaml").read_text(encoding="utf-8")


def test_the_workflow_is_valid_per_the_github_workflow_schema() -> None:
    schema = json.loads((FIXTURES / "schemas" / "github-workflows.json").read_text("utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    workflow = render_workflow(load_stack())
    # As GitHub reads the file: through YAML, where the key `on` must survive as a string.
    reread = yaml.safe_load(yaml.safe_dump(workflow, sort_keys=False))
    problems = [e.message for e in validator.iter_errors(reread)]
    assert not problems, problems[:5]
    assert list(reread["jobs"]) == ["lint", "test", "image", "deploy"]
    assert set(reread["jobs"]["test"]["services"]) == {
        "kafka",
        "mongo",
        "mysql",
        "postgres",
        "redis",
    }
    broken = {**reread, "jobs": {"lint": {"runs-on": "ubuntu-latest", "step": []}}}
    assert not validator.is_valid(broken)
