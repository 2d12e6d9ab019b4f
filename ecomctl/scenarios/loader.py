"""Where scenario files are found: the workspace's own `scenarios/` first, then the built-ins.

A workspace may add scenarios or override a built-in one by using its name.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from ecomctl.errors import UsageError
from ecomctl.scenarios.model import Scenario, parse_scenario

_PACKAGED = "_data/scenarios"


def builtin_dir() -> Path:
    """Packaged in a wheel, or the repository's scenarios/ in a checkout."""
    packaged = resources.files("ecomctl").joinpath(_PACKAGED)
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "scenarios"


def scenario_files(workspace_root: Path | None) -> dict[str, Path]:
    """name -> file, built-ins overridden by the workspace's files of the same name."""
    found: dict[str, Path] = {}
    folders = [builtin_dir()] + ([workspace_root / "scenarios"] if workspace_root else [])
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob("*.yaml")):
                found[path.stem] = path
    return found


def load_file(path: Path) -> Scenario:
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML ({exc})") from None
    scenario = parse_scenario(raw, source=str(path))
    if scenario.name != path.stem:
        raise UsageError(f"{path}: name {scenario.name!r} differs from the file name")
    return scenario


def load(name: str, workspace_root: Path | None) -> Scenario:
    files = scenario_files(workspace_root)
    if name not in files:
        known = ", ".join(sorted(files)) or "none"
        raise UsageError(f"no scenario named {name!r} (known: {known})")
    return load_file(files[name])


def load_all(workspace_root: Path | None) -> list[Scenario]:
    return [load_file(path) for path in scenario_files(workspace_root).values()]
