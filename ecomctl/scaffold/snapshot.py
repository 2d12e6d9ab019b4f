"""Git snapshots of templates, so `copier update` can diff old and new versions.

Copier updates only templates it can check out by version. The shipped
templates are plain folders, so each workspace keeps a small repository per
template kind (`.ecomctl/templates/<kind>`): whenever the template's content
changes, a new commit and tag records it. A project generated from tag N and
updated to tag N+1 gets a three-way merge that keeps local edits.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ecomctl.scaffold import templates
from ecomctl.scaffold.git import git

ANSWERS_FILE = ".copier-answers.yml"
# Copier records answers (and the template version) only when the template asks it to.
_ANSWERS_TEMPLATE = (
    "# Written by ecomctl generate; `ecomctl generate update` reads it.\n"
    "{{ _copier_answers|to_nice_yaml -}}\n"
)
_IGNORED = shutil.ignore_patterns(
    ".git", "__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache", ".mypy_cache", "*.egg-info"
)


@dataclass(frozen=True)
class Snapshot:
    path: Path
    version: str  # the git tag of the template content this snapshot holds


def snapshot(kind: str, source: Path, snapshots_dir: Path) -> Snapshot:
    """Bring the snapshot repository of `kind` up to the template's current content."""
    repo = snapshots_dir / kind
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        git(repo, "init", "--quiet")
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(source, repo, ignore=_IGNORED, dirs_exist_ok=True)
    _ensure_answers_template(repo)
    git(repo, "add", "--all")
    if git(repo, "status", "--porcelain").strip():
        count = len(git(repo, "tag", "--list").split()) + 1
        git(
            repo,
            "-c",
            "user.name=ecomctl",
            "-c",
            "user.email=ecomctl@localhost",
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            f"template {kind}, snapshot {count}",
        )
        git(repo, "tag", f"{count}.0.0")
    version = git(repo, "describe", "--tags", "--abbrev=0").strip()
    return Snapshot(path=repo, version=version)


def _ensure_answers_template(repo: Path) -> None:
    sub = repo / templates.subdirectory(repo)
    suffix = templates.templates_suffix(repo)
    answers = sub / f"{{{{ _copier_conf.answers_file }}}}{suffix}"
    existing = list(sub.glob("{{*_copier_conf.answers_file*}}*"))
    if not existing:
        answers.write_text(_ANSWERS_TEMPLATE)
