"""`ecomctl render ci github-actions`: the CI/CD workflow of a generated workspace.

Lint, the services' tests against service containers (the stores they use), images built,
scanned and pushed, then the chart rendered and deployed; with Argo Rollouts the deploy
waits for the canary's analysis. Registry, cluster credentials and image names come from
the repository's variables and secrets, never from this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ecomctl import __version__
from ecomctl.runtime.docker.build import KIT_CONTEXT
from ecomctl.stack.model import ServiceSpec, Stack

# Actions by major version tag, as GitHub's own examples pin them.
CHECKOUT = "actions/checkout@v4"
SETUP_PYTHON = "actions/setup-python@v5"
BUILDX = "docker/setup-buildx-action@v3"
LOGIN = "docker/login-action@v3"
BUILD_PUSH = "docker/build-push-action@v6"
TRIVY = "aquasecurity/trivy-action@0.28.0"
SETUP_HELM = "azure/setup-helm@v4"
PYTHON = "3.11"
# The ecomctl that rendered the workflow renders the chart and the Dockerfiles in CI too.
ECOMCTL = f"ecomctl=={__version__}"
IMAGE = "${{ vars.IMAGE_REGISTRY }}/${{ vars.IMAGE_REPOSITORY }}"

# Service containers for the stores a service's tests use (the docker runtime's images).
_CONTAINERS: dict[str, dict[str, Any]] = {
    "postgres": {
        "image": "postgres:17",
        "env": {"POSTGRES_USER": "ecomctl", "POSTGRES_PASSWORD": "ecomctl"},
        "ports": ["5432:5432"],
        "options": "--health-cmd pg_isready --health-interval 5s --health-retries 20",
    },
    "mysql": {
        "image": "mariadb:11.8",
        "env": {"MARIADB_USER": "ecomctl", "MARIADB_PASSWORD": "ecomctl",
                "MARIADB_ROOT_PASSWORD": "ecomctl"},
        "ports": ["3306:3306"],
        "options": "--health-cmd 'healthcheck.sh --connect' --health-interval 5s "
                   "--health-retries 20",
    },
    "redis": {"image": "redis:7.4", "ports": ["6379:6379"]},
    "mongo": {"image": "mongo:8.0", "ports": ["27017:27017"]},
    "kafka": {"image": "apache/kafka:4.1.0", "ports": ["9092:9092"]},
}  # fmt: skip


def render_workflow(stack: Stack) -> dict[str, Any]:
    services = {name: spec for name, spec in stack.services.items() if spec.enabled}
    names = list(services)
    return {
        "name": f"{stack.name} services",
        "on": {"push": {"branches": ["main"]}, "pull_request": {}},
        "permissions": {"contents": "read", "packages": "write"},
        "concurrency": {"group": "${{ github.workflow }}-${{ github.ref }}"},
        "jobs": {
            "lint": _lint(),
            "test": _test(services),
            "image": _image(names),
            "deploy": _deploy(),
        },
    }


def write_workflow(stack: Stack, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = f"# Rendered by ecomctl from stack {stack.name!r}: ecomctl render ci github-actions\n"
    text = yaml.safe_dump(render_workflow(stack), sort_keys=False, width=100)
    path.write_text(header + text, encoding="utf-8")
    return path


def _setup() -> list[dict[str, Any]]:
    return [
        {"uses": CHECKOUT},
        {"uses": SETUP_PYTHON, "with": {"python-version": PYTHON, "cache": "pip"}},
    ]


def _lint() -> dict[str, Any]:
    return {
        "runs-on": "ubuntu-latest",
        "timeout-minutes": 10,
        "steps": [
            *_setup(),
            {"run": "python -m pip install ruff"},
            {"run": "ruff check services && ruff format --check services"},
        ],
    }


def _test(services: dict[str, ServiceSpec]) -> dict[str, Any]:
    """One job per service, each with the stores its tests talk to as service containers."""
    stores = sorted({use for spec in services.values() for use in spec.uses} & set(_CONTAINERS))
    return {
        "runs-on": "ubuntu-latest",
        "needs": "lint",
        "timeout-minutes": 30,
        "strategy": {"fail-fast": False, "matrix": {"service": list(services)}},
        "services": {store: _CONTAINERS[store] for store in stores},
        "steps": [
            *_setup(),
            {"run": "python -m pip install ./kit -e 'services/${{ matrix.service }}[test]'"},
            {"run": "python -m pytest -q services/${{ matrix.service }}/tests"},
        ],
    }


def _image(names: list[str]) -> dict[str, Any]:
    tag = f"{IMAGE}/${{{{ matrix.service }}}}:${{{{ github.sha }}}}"
    return {
        "runs-on": "ubuntu-latest",
        "needs": "test",
        "timeout-minutes": 30,
        "strategy": {"matrix": {"service": names}},
        "steps": [
            *_setup(),
            {"run": f"python -m pip install {ECOMCTL}"},
            # ecomctl's one Dockerfile template and the kit, as the docker runtime builds them.
            {"run": "ecomctl render compose -o .ecomctl/compose.yaml"},
            {"uses": BUILDX},
            {
                "uses": LOGIN,
                "if": "github.event_name == 'push'",
                "with": {
                    "registry": "${{ vars.IMAGE_REGISTRY }}",
                    "username": "${{ github.actor }}",
                    "password": "${{ secrets.IMAGE_REGISTRY_TOKEN }}",
                },
            },
            {
                "uses": BUILD_PUSH,
                "with": {
                    "context": "services/${{ matrix.service }}",
                    "file": ".ecomctl/docker/${{ matrix.service }}/Dockerfile",
                    "build-contexts": f"kit=.ecomctl/docker/{KIT_CONTEXT}",
                    "load": True,
                    "tags": tag,
                },
            },
            {
                "uses": TRIVY,
                "with": {"image-ref": tag, "severity": "HIGH,CRITICAL", "exit-code": "1"},
            },
            {"if": "github.event_name == 'push'", "run": f'docker push "{tag}"'},
        ],
    }


def _deploy() -> dict[str, Any]:
    values = "deploy/cluster.yaml"
    return {
        "runs-on": "ubuntu-latest",
        "needs": "image",
        "if": "github.event_name == 'push' && github.ref == 'refs/heads/main'",
        "environment": "production",
        "timeout-minutes": 60,
        "steps": [
            *_setup(),
            {"uses": SETUP_HELM},
            {"run": f"python -m pip install {ECOMCTL}"},
            {"run": f"ecomctl render helm -o chart --values {values}"},
            {"run": "helm lint chart"},
            {
                "run": 'echo "$KUBECONFIG_DATA" > "$RUNNER_TEMP/kubeconfig"',
                "env": {"KUBECONFIG_DATA": "${{ secrets.KUBECONFIG }}"},
            },
            {
                "run": "helm upgrade --install ${{ vars.RELEASE }} chart "
                "--namespace ${{ vars.NAMESPACE }} --set image.tag=${{ github.sha }} "
                "--wait --timeout 20m",
                "env": {"KUBECONFIG": "${{ runner.temp }}/kubeconfig"},
            },
        ],
    }
