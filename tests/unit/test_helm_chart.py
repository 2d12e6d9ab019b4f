"""The chart of `ecomctl render helm`, checked with the real Helm and offline schemas.

For the default values and two other value sets: `helm lint --strict`, `helm template`,
every built-in object against Kubernetes' schemas (kubernetes-validate), every custom
resource against its CRD's openAPIV3Schema and the Strimzi ones against the validators an
npm package compiled from Strimzi's CRDs (tests/unit/fixtures/kube/SOURCES.md). A golden
file pins the default rendering; after an intended change, update it with:

    ECOMCTL_UPDATE_GOLDEN=1 pytest tests/unit/test_helm_chart.py -k golden
"""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.unit.kube_support import (
    FIXTURES,
    STRIMZI_GROUP,
    VALUE_SETS,
    checkov_failures,
    helm,
    render_chart,
    strimzi_problems,
    template,
)

# The oldest version Chart.yaml's kubeVersion admits, and a current one.
KUBERNETES_VERSIONS = ("1.29.0", "1.33.0")
# checkov's Kubernetes checks the chart fails on purpose (without checkov's platform no check
# has a severity, so every failure must be one of these; docs/kubernetes.md lists them too).
ACCEPTED_POLICY_FAILURES = {
    "CKV_K8S_11": "no CPU limits: they throttle a Python service below its request under "
    "bursts; CPU requests and the HPA bound it (memory has limits)",
    "CKV_K8S_43": "images by tag by default (CI sets the commit's tag); image.digest pins "
    "them by digest",
    "CKV_K8S_15": "pullPolicy IfNotPresent: tags are immutable commit tags or digests; "
    "image.pullPolicy changes it",
    "CKV_K8S_35": "secrets as environment variables: the services read their whole "
    "configuration from ECOM_* variables (the kit's settings), from the referenced Secret",
}
GOLDEN = FIXTURES / "golden" / "default.yaml"
# Custom resources with no CRD schema here (SOURCES.md says why).
WITHOUT_CRD = {
    ("redis.redis.opstreelabs.in/v1beta2", "Redis"),
    ("opensearch.opster.io/v1", "OpenSearchCluster"),
}


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema of every served version of the kept CRDs."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted((FIXTURES / "crds").glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schema = version["schema"]["openAPIV3Schema"]
                schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def validate_custom(obj: dict[str, Any]) -> None:
    schema = crd_schemas()[(obj["apiVersion"], obj["kind"])]
    validator = jsonschema.Draft7Validator(schema)
    problems = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(obj)]
    assert not problems, f"{obj['kind']} {obj['metadata']['name']}: {problems[:5]}"


def validate(obj: dict[str, Any]) -> str:
    """Which schema `obj` was checked against: 'kubernetes', 'crd' or 'none'; 'strimzi' for
    the Strimzi resources, which `strimzi_problems` checks all at once."""
    key = (obj["apiVersion"], obj["kind"])
    if obj["apiVersion"].startswith(f"{STRIMZI_GROUP}/"):
        return "strimzi"
    if key in crd_schemas():
        validate_custom(obj)
        return "crd"
    if key in WITHOUT_CRD:
        assert obj["metadata"]["name"], obj
        return "none"
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(obj, version, strict=True)
    return "kubernetes"


@pytest.fixture(scope="module", params=sorted(VALUE_SETS))
def rendered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, list[dict[str, Any]]]:
    name: str = request.param
    chart = render_chart(tmp_path_factory.mktemp(name), VALUE_SETS[name])
    _, objects = template(chart)
    return name, chart, objects


def test_helm_lint_passes_strict(rendered: tuple[str, Path, list[dict[str, Any]]]) -> None:
    _, chart, _ = rendered
    done = helm("lint", "--strict", str(chart))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_object_is_valid_against_its_schema(
    rendered: tuple[str, Path, list[dict[str, Any]]],
) -> None:
    name, _, objects = rendered
    checked = [validate(obj) for obj in objects]
    assert checked.count("kubernetes") > 30
    if name == "default":
        assert checked.count("crd") >= 9  # CNPG, MariaDB, MongoDB, ServiceMonitor
        assert checked.count("strimzi") >= 3  # KafkaNodePool, Kafka, KafkaTopics


def test_every_strimzi_resource_is_valid_against_its_crd(
    rendered: tuple[str, Path, list[dict[str, Any]]],
) -> None:
    name, _, objects = rendered
    strimzi = [o for o in objects if o["apiVersion"].startswith(f"{STRIMZI_GROUP}/")]
    problems = strimzi_problems(strimzi)
    assert len(problems) == len(strimzi)
    assert not {key: errors for key, errors in problems.items() if errors}
    if name == "default":
        assert {"Kafka", "KafkaNodePool", "KafkaTopic"} <= {o["kind"] for o in strimzi}
    if name == "rollouts":
        kinds = {obj["kind"] for obj in objects}
        assert {"Rollout", "AnalysisTemplate", "PrometheusRule"} <= kinds
        assert "Deployment" not in {
            o["kind"] for o in objects if o["metadata"]["name"] != "ecommerce-zipkin"
        }


def test_the_chart_holds_no_secret(rendered: tuple[str, Path, list[dict[str, Any]]]) -> None:
    """Secrets are only referenced: no Secret object, no credentials in any value."""
    _, _, objects = rendered
    assert "Secret" not in {obj["kind"] for obj in objects}
    text = yaml.safe_dump_all(objects)
    for leak in ("ecomctl:ecomctl@", "sk_test_", "ECOM_JWT_SECRET:", "password: "):
        assert leak not in text


def test_policy_checks_find_only_accepted_failures(
    rendered: tuple[str, Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    _, _, objects = rendered
    manifests = tmp_path / "manifests.yaml"
    manifests.write_text(yaml.safe_dump_all(objects), encoding="utf-8")
    failures = checkov_failures(manifests)
    unexpected = sorted(
        {f"{f['check_id']} {f['resource']}" for f in failures}
        - {f"{f['check_id']} {f['resource']}" for f in failures
           if f["check_id"] in ACCEPTED_POLICY_FAILURES}
    )  # fmt: skip
    assert not unexpected, unexpected


def test_infra_and_services_releases_split_the_chart_exactly(tmp_path: Path) -> None:
    chart = render_chart(tmp_path, {})

    def names(*options: str) -> list[tuple[str, str]]:
        return sorted((o["kind"], o["metadata"]["name"]) for o in template(chart, *options)[1])

    infra, services = names("--set", "parts.services=false"), names("--set", "parts.infra=false")
    assert sorted(infra + services) == names()
    assert ("Kafka", "ecommerce-kafka") in infra and ("Job", "order-migrate") in services
    hooks = template(chart, "--set", "parts.infra=false")[1]
    job = next(o for o in hooks if o["kind"] == "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"


@pytest.mark.parametrize(
    "override",
    [
        "services.order.replicas=-1",
        "services.order.env.ECOM_DB_PASSWORD=hunter2",
        "services.order.env.ECOM_REPLICA=postgresql://u:p@db/orders",
        "infra.kafka.mode=magic",
    ],
)
def test_helm_itself_refuses_bad_overrides(tmp_path: Path, override: str) -> None:
    """values.schema.json: `helm install --set` cannot bring in what the render refuses."""
    chart = render_chart(tmp_path, {})
    done = helm("template", "shop", str(chart), "--set", override)
    assert done.returncode != 0
    assert "don't meet the specifications of the schema" in done.stderr


def test_schema_checks_catch_mistakes() -> None:
    """Guards the validators: a typo in a built-in object and in a custom resource fail."""
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                  "spec": {"replicas": "two", "selector": {}, "template": {}}}  # fmt: skip
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)
    rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "x"},
               "spec": {"replicas": "two"}}  # fmt: skip
    with pytest.raises(AssertionError):
        validate_custom(rollout)


def test_the_strimzi_check_catches_mistakes(tmp_path: Path) -> None:
    """Guards the Strimzi check: a misspelt field and a wrong type in a rendered Kafka fail."""
    objects = template(render_chart(tmp_path, {}))[1]
    kafka = next(o for o in objects if o["kind"] == "Kafka")
    misspelt = copy.deepcopy(kafka)
    misspelt["spec"]["kafka"]["listners"] = misspelt["spec"]["kafka"].pop("listeners")
    wrong_type = copy.deepcopy(kafka)
    wrong_type["spec"]["kafka"]["listeners"][0]["port"] = "9092"
    unknown_optional = copy.deepcopy(kafka)
    unknown_optional["spec"]["entityOperator"] = {"topicOperatr": {}}
    for broken in (misspelt, wrong_type, unknown_optional):
        broken["metadata"]["name"] = "broken"
        problems = strimzi_problems([kafka, broken])
        assert not problems[f"Kafka {kafka['metadata']['name']}"]
        assert problems["Kafka broken"], broken["spec"]


def test_the_default_rendering_matches_the_golden_file(tmp_path: Path) -> None:
    output, _ = template(render_chart(tmp_path, {}))
    if os.environ.get("ECOMCTL_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(output, encoding="utf-8")
    assert GOLDEN.exists(), "no golden file: run with ECOMCTL_UPDATE_GOLDEN=1 once"
    assert output == GOLDEN.read_text(encoding="utf-8"), (
        "the rendered chart changed; if intended: "
        "ECOMCTL_UPDATE_GOLDEN=1 pytest tests/unit/test_helm_chart.py -k golden"
    )
