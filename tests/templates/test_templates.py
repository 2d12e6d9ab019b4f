"""Every template, rendered into a temporary folder: its own tests and ruff must pass there.

Parametrized over templates/*/copier.yml, so a new template is covered the
moment it exists. The generated service runs with the interpreter running
these tests, which has the service kit installed (`pip install -e kit`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecomctl.scaffold import generate_service
from ecomctl.scaffold.templates import available_kinds, templates_root
from ecomctl.stack.loader import load_stack
from ecomctl.stack.model import ServiceSpec
from ecomctl.workspace import Workspace

KINDS = available_kinds()


def _spec(kind: str) -> ServiceSpec:
    for spec in load_stack().services.values():
        if spec.template == kind:
            return spec
    return ServiceSpec(port=8099, template=kind)


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # The service's tests configure themselves; nothing of a developer's ECOM_* leaks in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOM_")}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module", params=KINDS or ["(none)"])
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    kind = str(request.param)
    if not KINDS:
        pytest.skip(f"no templates in {templates_root()}")
    workspace = Workspace(root=tmp_path_factory.mktemp(f"tpl-{kind}"))
    return generate_service(workspace=workspace, name=kind, spec=_spec(kind)).path


def test_generated_service_passes_its_own_tests(generated: Path) -> None:
    if not (generated / "tests").is_dir():
        pytest.fail(f"{generated.name}: the template has no tests/ folder")
    done = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], generated
    )
    assert done.returncode == 0, (
        f"pytest in {generated}:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
    )


def test_generated_service_is_ruff_clean(generated: Path) -> None:
    done = _run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], generated)
    assert done.returncode == 0, f"ruff in {generated}:\n{done.stdout[-4000:]}"


def test_generated_service_has_the_contract_layout(generated: Path) -> None:
    apps = list(generated.glob("src/*/entrypoints/app.py"))
    assert apps, "no src/<package>/entrypoints/app.py"
    package = apps[0].parent.parent
    for layer in ("domain", "service_layer", "adapters", "entrypoints"):
        assert (package / layer).is_dir(), f"missing {layer}/"
    assert (generated / "pyproject.toml").is_file()
    assert (generated / ".copier-answers.yml").is_file()
