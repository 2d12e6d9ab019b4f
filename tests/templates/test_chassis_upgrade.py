"""`generate update` carries a workspace generated before the service chassis onto it.

The order service is generated from its template as it was before the chassis (the
commit below, read from this repository's history), a team edit is committed on top,
then the service is updated to today's template: the merge must keep the edit, bring the
chassis, and leave a service whose own tests pass in its isolated venv.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from ecomctl.runtime.venv import ensure_venv
from ecomctl.scaffold import generate_service, update_services
from ecomctl.scaffold import git as scaffold_git
from ecomctl.scaffold.templates import templates_root
from ecomctl.stack.loader import load_stack
from ecomctl.workspace import Workspace

# The last commit whose templates predate the chassis (ecomkit.service, ecomkit.messagebus).
BEFORE_CHASSIS = "903ed863136554843eda7c78347f9b4a250c447d"
REPO = Path(__file__).resolve().parents[2]
TEAM_EDIT = ("    saga_timeout_s: float = 60.0\n", "    saga_timeout_s: float = 120.0\n")


def old_templates(target: Path) -> Path:
    """templates/order as it was at BEFORE_CHASSIS, extracted under `target`."""
    done = subprocess.run(
        ["git", "-C", str(REPO), "archive", BEFORE_CHASSIS, "templates/order"],
        capture_output=True,
        timeout=60,
    )
    if done.returncode != 0:
        pytest.fail(
            f"this test reads the template's history (git archive {BEFORE_CHASSIS[:7]}): "
            f"{done.stderr.decode().strip()} — run it in a full clone"
        )
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(target, filter="data")
    return target / "templates"


def test_an_order_service_from_before_the_chassis_updates_onto_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current = templates_root()
    monkeypatch.setenv("ECOMCTL_TEMPLATES_DIR", str(old_templates(tmp_path / "old")))
    workspace = Workspace(root=tmp_path / "shop")
    service = generate_service(
        workspace=workspace, name="order", spec=load_stack().services["order"]
    ).path
    settings = service / "src" / "order" / "settings.py"
    assert "create_service_app" not in (service / "src/order/entrypoints/app.py").read_text()
    settings.write_text(settings.read_text().replace(*TEAM_EDIT))
    scaffold_git.git(workspace.root, "add", "--all")
    scaffold_git.git(
        workspace.root,
        "-c",
        "user.name=team",
        "-c",
        "user.email=team@localhost",
        "commit",
        "--quiet",
        "-m",
        "a longer saga deadline",
    )

    monkeypatch.setenv("ECOMCTL_TEMPLATES_DIR", str(current))
    [updated] = update_services(workspace=workspace, names=["order"])

    assert updated.conflicts == [], updated.conflicts
    assert updated.from_version != updated.to_version
    assert TEAM_EDIT[1] in settings.read_text()  # the team's edit is kept
    assert "class Settings(ConsumerSettings)" in settings.read_text()  # the chassis arrived
    assert "service_app(Settings" in (service / "src/order/entrypoints/app.py").read_text()
    assert scaffold_git.dirty_paths(workspace.root, service) == []

    python = ensure_venv(workspace, [service], lambda line: None, extras=("test",))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOM_")}
    tests = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=service,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
