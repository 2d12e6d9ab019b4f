"""Where a service's migrations live: the workspace's own copy first, then the built-in set.

A team that generated its workspace owns ``<workspace>/migrations/<service>``;
without one, ecomctl uses the migrations shipped with it (``migrations/`` of
the repository, packaged into the wheel as ``ecomctl/_data/migrations``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ecomctl.errors import UsageError

_PACKAGED = "_data/migrations"


def builtin_root() -> Path:
    packaged = resources.files("ecomctl").joinpath(_PACKAGED)
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "migrations"


def service_locations(service: str, *, workspace_root: Path | None = None) -> tuple[Path, ...]:
    from ecomctl.scaffold.templates import templates_root

    candidates = []
    if workspace_root is not None:
        # A generated service carries its own migrations (templates/<kind>/template/db/migration).
        candidates.append(workspace_root / "services" / service / "db" / "migration")
        candidates.append(workspace_root / "migrations" / service)
    candidates.append(templates_root() / service / "template" / "db" / "migration")
    candidates.append(builtin_root() / service)
    for folder in candidates:
        if folder.is_dir():
            return (folder,)
    raise UsageError(
        f"no migrations for service {service!r}",
        hint=f"looked in {', '.join(str(c) for c in candidates)}; or pass --locations",
    )
