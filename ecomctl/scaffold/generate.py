"""Generating services from templates, and updating them when templates change.

`generate_service` renders one template into `<workspace>/services/<name>`
with copier's `run_copy` and commits the result; `update_service` runs
copier's `run_update`, a three-way merge between the template version the
service was generated from, the current template and the team's edits.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ecomctl.errors import UsageError, UserError
from ecomctl.scaffold import git, templates
from ecomctl.scaffold.snapshot import ANSWERS_FILE, snapshot
from ecomctl.stack.model import ServiceSpec
from ecomctl.workspace import Workspace

if TYPE_CHECKING:
    from ecomctl.scaffold.schema_render import SchemaFile

SERVICES_DIR = "services"
MIGRATIONS_SUBDIR = Path("db") / "migration"
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


@dataclass(frozen=True)
class Generated:
    name: str
    kind: str
    path: Path
    template_version: str


@dataclass(frozen=True)
class Updated:
    name: str
    kind: str
    path: Path
    from_version: str
    to_version: str
    conflicts: list[str] = field(default_factory=list)
    kept_local_edits: bool = False  # uncommitted edits were committed before the merge


def service_dir(workspace: Workspace, name: str) -> Path:
    return workspace.root / SERVICES_DIR / name


def snapshots_dir(workspace: Workspace) -> Path:
    return workspace.state_dir / "templates"


def generate_service(
    *, workspace: Workspace, name: str, spec: ServiceSpec, templates_root: Path | None = None
) -> Generated:
    """Render `spec.template` into services/<name> and commit it; refuses to overwrite."""
    if not _NAME.match(name):
        raise UsageError(f"service name {name!r}: use lower-case letters, digits and -")
    target = service_dir(workspace, name)
    if target.exists() and any(target.iterdir()):
        raise UsageError(
            f"{target} already exists",
            hint="use `ecomctl generate update` to bring it up to date with its template",
        )
    source = templates.template_dir(spec.template, templates_root)
    workspace.root.mkdir(parents=True, exist_ok=True)
    repo = git.ensure_repository(workspace.root, workspace.state_dir)
    snap = snapshot(spec.template, source, snapshots_dir(workspace))
    from copier import run_copy

    run_copy(
        str(snap.path),
        target,
        data=_answers(name, spec, source),
        vcs_ref=snap.version,
        defaults=True,
        overwrite=True,
        quiet=True,
    )
    _copy_fallback_migrations(spec.template, source, target)
    _render_schema(target, spec.template, spec.uses)
    git.commit(repo, [target], f"ecomctl: generate service {name} from template {spec.template}")
    return Generated(name, spec.template, target, snap.version)


def _answers(name: str, spec: ServiceSpec, source: Path) -> dict[str, Any]:
    """What ecomctl knows about the service, limited to what the template asks."""
    known: dict[str, Any] = {
        "service_name": name,
        "port": spec.port,
        "kind": spec.template,
        "database": spec.database or "",
        "package": spec.template.replace("-", "_"),
    }
    asked = templates.questions(source)
    return {key: value for key, value in known.items() if key in asked}


def _copy_fallback_migrations(kind: str, source: Path, target: Path) -> None:
    """A template without db/migration gets the repository's migrations/<kind> (until moved):
    every file at generation, and at each update the versions shipped since (a new kit may
    need their schema). Files already there are left alone: an applied migration's checksum
    must not change, and the team may have edited a pending one."""
    if (source / "template" / MIGRATIONS_SUBDIR).is_dir():
        return
    from ecomctl.migrate.locations import builtin_root

    shipped = builtin_root() / kind
    if not shipped.is_dir():
        return
    folder = target / MIGRATIONS_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    for migration in sorted(shipped.glob("*.sql")):
        if not (folder / migration.name).exists():
            shutil.copy2(migration, folder / migration.name)


def _render_schema(target: Path, kind: str, uses: list[str]) -> None:
    """The service's adapters/schema.py from the migrations it now has (a service without
    SQL migrations, or without an adapters package, has none)."""
    from ecomctl.scaffold.schema_render import dialect_for, has_adapters, render_service

    dialect = dialect_for(kind, uses)  # (imported here: sqlglot takes 0.1 s to import)
    if dialect is not None and has_adapters(target):
        render_service(target, dialect)


def refresh_schema(*, workspace: Workspace, name: str, check: bool = False) -> SchemaFile:
    """`generate tables`: the service's schema.py rendered again from its db/migration (with
    `check`, only compared: `changed` then means the file is stale)."""
    from ecomctl.scaffold.schema_render import dialect_for, render_service

    target = service_dir(workspace, name)
    kind = Path(str(_read_answers(target).get("_src_path", ""))).name
    dialect = dialect_for(kind, _stack_uses(workspace, name))
    done = render_service(target, dialect, check=check) if dialect else None
    if done is None:
        raise UsageError(
            f"services/{name} has no SQL database with migrations (db/migration/V*.sql)",
            hint="only services with SQL tables have an adapters/schema.py",
        )
    return done


def _stack_uses(workspace: Workspace, name: str) -> list[str]:
    """What the workspace's stack says the service uses (nothing when it has no entry)."""
    from ecomctl import config
    from ecomctl.stack.loader import load_stack

    stack_file = workspace.root / config.WORKSPACE_MARKER
    if not stack_file.is_file():
        return []
    spec = load_stack(stack_file).services.get(name)
    return list(spec.uses) if spec else []


def generated_services(workspace: Workspace) -> dict[str, Path]:
    """Every service folder of the workspace that copier generated (it has an answers file)."""
    base = workspace.root / SERVICES_DIR
    if not base.is_dir():
        return {}
    return {p.parent.name: p.parent for p in sorted(base.glob(f"*/{ANSWERS_FILE}"))}


def update_service(
    *, workspace: Workspace, name: str, templates_root: Path | None = None
) -> Updated:
    target = service_dir(workspace, name)
    answers = _read_answers(target)
    kind = Path(str(answers.get("_src_path", ""))).name
    old_version = str(answers.get("_commit", "?"))
    source = templates.template_dir(kind, templates_root)
    repo = git.ensure_repository(workspace.root, workspace.state_dir)
    kept = _commit_local_edits(workspace, repo, target, name)
    snap = snapshot(kind, source, snapshots_dir(workspace))
    from copier import run_update
    from copier.errors import UserMessageError

    try:
        run_update(
            target,
            vcs_ref=snap.version,
            defaults=True,
            overwrite=True,
            quiet=True,
            skip_answered=True,
            conflict="inline",
        )
    except UserMessageError as exc:
        raise UserError(f"cannot update services/{name}: {exc}") from None
    _copy_fallback_migrations(kind, source, target)
    _render_schema(target, kind, _stack_uses(workspace, name))
    conflicts = git.conflicted(repo, target)
    if not conflicts:
        message = f"ecomctl: update service {name} to template {kind} {snap.version}"
        git.commit(repo, [target], message)
    return Updated(name, kind, target, old_version, snap.version, conflicts, kept)


def _read_answers(target: Path) -> dict[str, Any]:
    path = target / ANSWERS_FILE
    if not path.is_file():
        raise UsageError(
            f"{target} was not generated by ecomctl (no {ANSWERS_FILE})",
            hint="generate it with `ecomctl generate service NAME --template KIND`",
        )
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def _commit_local_edits(workspace: Workspace, repo: Path, target: Path, name: str) -> bool:
    """Copier merges only committed work: commit edits in a repository ecomctl owns."""
    dirty = git.dirty_paths(repo, target)
    if not dirty:
        return False
    if not git.owned_by_ecomctl(workspace.root, workspace.state_dir):
        raise UserError(
            f"services/{name} has uncommitted changes ({', '.join(dirty[:3])}"
            f"{', ...' if len(dirty) > 3 else ''})",
            hint="commit or stash them, then run `ecomctl generate update` again",
        )
    git.commit(repo, [target], f"ecomctl: local edits in services/{name} before update")
    return True
