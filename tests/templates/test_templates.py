"""Every template, rendered into a temporary folder: its own tests and ruff must pass there.

Parametrized over templates/*/copier.yml, so a new template is covered the
moment it exists. Each generated service is installed the way `ecomctl up`
installs it (an isolated virtualenv with the kit and the service editable, plus
the service's test extra), so a dependency the service forgot to declare fails
here: at import in the venv, and by name through deptry.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecomctl.runtime.venv import ensure_venv
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


@pytest.fixture(scope="module")
def service_python(generated: Path) -> Path:
    """The interpreter `ecomctl up` would run this service with."""
    workspace = Workspace(root=generated.parent.parent)
    return ensure_venv(workspace, [generated], progress=lambda line: None, extras=("test",))


def test_generated_service_passes_its_own_tests(generated: Path, service_python: Path) -> None:
    if not (generated / "tests").is_dir():
        pytest.fail(f"{generated.name}: the template has no tests/ folder")
    done = _run(
        [str(service_python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], generated
    )
    assert done.returncode == 0, (
        f"pytest in {generated}:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
    )


def test_every_module_imports_in_the_isolated_venv(generated: Path, service_python: Path) -> None:
    """Catches what deptry cannot see: a package needed through an extra (pydantic[email])."""
    package = next(generated.glob("src/*/entrypoints/app.py")).parent.parent.name
    walk = (
        "import importlib, pkgutil, sys\n"
        f"root = importlib.import_module({package!r})\n"
        "for m in pkgutil.walk_packages(root.__path__, root.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sys.prefix)\n"
    )
    done = _run([str(service_python), "-c", walk], generated)
    assert done.returncode == 0, f"{generated.name}:\n{done.stderr[-3000:]}"
    assert Path(done.stdout.strip()) == service_python.parent.parent


def test_generated_service_declares_what_it_imports(generated: Path) -> None:
    """deptry with the service's own [tool.deptry]: the code, then the code and its tests."""
    deptry = [sys.executable, "-m", "deptry", ".", "--no-ansi"]
    code = _run(deptry, generated)
    assert code.returncode == 0, f"deptry in {generated}:\n{code.stdout[-3000:]}{code.stderr}"
    # The tests may import the test extra (DEP004 would call that misplaced in code).
    with_tests = _run([*deptry, "--exclude", r"\.venv|\.git", "--ignore", "DEP004"], generated)
    assert with_tests.returncode == 0, (
        f"deptry (tests included) in {generated}:\n{with_tests.stdout[-3000:]}{with_tests.stderr}"
    )


def test_the_service_venv_is_isolated(service_python: Path) -> None:
    """Nothing of the interpreter ecomctl runs in is visible to the services, not even ecomctl."""
    done = _run([str(service_python), "-c", "import ecomctl"], service_python.parent)
    assert done.returncode != 0 and "No module named 'ecomctl'" in done.stderr


def test_generated_service_is_mypy_clean(generated: Path, service_python: Path) -> None:
    """Strict mypy over the service and its tests, with the venv's own packages."""
    done = _run([str(service_python), "-m", "mypy", "--no-incremental"], generated)
    assert done.returncode == 0, f"mypy in {generated}:\n{done.stdout[-4000:]}"


def test_generated_service_is_ruff_clean(generated: Path) -> None:
    done = _run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], generated)
    assert done.returncode == 0, f"ruff in {generated}:\n{done.stdout[-4000:]}"


def test_generated_service_has_the_contract_layout(generated: Path) -> None:
    apps = list(generated.glob("src/*/entrypoints/app.py"))
    assert apps, "no src/<package>/entrypoints/app.py"
    package = apps[0].parent.parent
    # A service with no persistence (the registry) may skip the middle layers.
    for layer in ("domain", "entrypoints"):
        assert (package / layer).is_dir(), f"missing {layer}/"
    assert (generated / "pyproject.toml").is_file()
    assert (generated / ".copier-answers.yml").is_file()


# Which outer layers each layer must not import. As in cosmicpython, the unit of
# work in service_layer may wire the repositories of adapters; nothing but the
# entrypoints may import the entrypoints, and the domain imports no other layer.
FORBIDDEN = {
    "domain": ("service_layer", "adapters", "entrypoints"),
    "service_layer": ("entrypoints",),
    "adapters": ("entrypoints",),
}


def test_imports_point_inward(generated: Path) -> None:
    package = next(generated.glob("src/*/entrypoints/app.py")).parent.parent
    wrong = []
    for layer, forbidden in FORBIDDEN.items():
        outer = {f"{package.name}.{name}" for name in forbidden}
        for module in (package / layer).rglob("*.py") if (package / layer).is_dir() else []:
            for imported in _imports(module):
                if any(imported == o or imported.startswith(o + ".") for o in outer):
                    wrong.append(f"{module.relative_to(package)} imports {imported}")
    assert not wrong, "imports must point inward:\n" + "\n".join(wrong)


def _imports(module: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names
