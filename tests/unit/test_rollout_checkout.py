"""`deploy --version REF`: the service's folder at a commit of the workspace's history."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from ecomctl.errors import UsageError
from ecomctl.rollout.release import _checkout
from ecomctl.workspace import Workspace


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def commit_version(root: Path, version: str) -> str:
    service = root / "services" / "order"
    (service / "src" / "order" / "entrypoints").mkdir(parents=True, exist_ok=True)
    (service / "pyproject.toml").write_text(f'[project]\nname = "order"\nversion = "{version}"\n')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", version)
    return git(root, "rev-parse", "HEAD")


def test_a_ref_is_unpacked_once_per_commit_and_a_moved_branch_is_fresh(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    first = commit_version(tmp_path, "1.0.0")
    git(tmp_path, "tag", "v1")
    tgt = SimpleNamespace(workspace=Workspace(tmp_path))
    old = _checkout(tgt, "order", "v1")  # type: ignore[arg-type]
    assert old.name == first and 'version = "1.0.0"' in (old / "pyproject.toml").read_text()
    assert _checkout(tgt, "order", first[:8]) == old  # type: ignore[arg-type]
    second = commit_version(tmp_path, "2.0.0")
    new = _checkout(tgt, "order", "main")  # type: ignore[arg-type]
    assert new.name == second and 'version = "2.0.0"' in (new / "pyproject.toml").read_text()
    assert not list(new.parent.glob("*.partial")), "no staging left behind"


def test_an_unknown_ref_or_a_commit_without_the_service_is_one_line(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    commit_version(tmp_path, "1.0.0")
    tgt = SimpleNamespace(workspace=Workspace(tmp_path))
    with pytest.raises(UsageError, match=r"--version nope: not in the workspace's git history"):
        _checkout(tgt, "order", "nope")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="--version main"):
        _checkout(tgt, "payment", "main")  # type: ignore[arg-type]
