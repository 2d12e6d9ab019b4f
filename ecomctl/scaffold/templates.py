"""Where the service templates are and what each one asks.

Templates are copier templates, one folder per service kind. They come from
$ECOMCTL_TEMPLATES_DIR (a team's own or patched set), else the copy packaged
in the wheel, else the repository's `templates/`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ecomctl import config
from ecomctl.errors import UsageError

_PACKAGED = "_data/templates"
COPIER_FILE = "copier.yml"


def templates_root() -> Path:
    explicit = config.env_path(config.TEMPLATES_DIR)
    if explicit:
        return explicit
    packaged = resources.files("ecomctl").joinpath(_PACKAGED)
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "templates"


def available_kinds(root: Path | None = None) -> list[str]:
    base = root or templates_root()
    if not base.is_dir():
        return []
    return sorted(p.parent.name for p in base.glob(f"*/{COPIER_FILE}"))


def template_dir(kind: str, root: Path | None = None) -> Path:
    base = root or templates_root()
    folder = base / kind
    if not (folder / COPIER_FILE).is_file():
        known = ", ".join(available_kinds(base)) or "none"
        raise UsageError(
            f"no template {kind!r} in {base}",
            hint=f"templates available: {known}; or point {config.TEMPLATES_DIR} elsewhere",
        )
    return folder


def template_config(folder: Path) -> dict[str, Any]:
    return _read_config(folder / COPIER_FILE, (folder / COPIER_FILE).stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _read_config(path: Path, _mtime: int) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a copier file must be a mapping")
    return data


def questions(folder: Path) -> set[str]:
    """The names a template asks for (copier settings start with an underscore)."""
    return {key for key in template_config(folder) if not key.startswith("_")}


def subdirectory(folder: Path) -> str:
    return str(template_config(folder).get("_subdirectory", "") or "")


def templates_suffix(folder: Path) -> str:
    return str(template_config(folder).get("_templates_suffix", ".jinja"))
