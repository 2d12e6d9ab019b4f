"""The workspace's virtualenv that runs every generated service.

Isolated from the interpreter it was made from (no system site-packages): a
service runs only with what its own pyproject.toml and the kit declare, so an
undeclared import fails on every machine instead of only where the base
interpreter happens to lack it. Packages are installed with uv when ecomctl
has it (a cold install of the kit takes seconds, pip about a minute), else with
the venv's pip. The service kit and each service are installed editable, so an
edit in `services/<name>` needs a restart, not a reinstall; a stamp of the
pyproject files it was built from makes a second `up` skip the installer.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from ecomctl import config
from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ProgressFn
from ecomctl.workspace import Workspace

_PACKAGED_KIT = "_data/kit"
_STAMP = "ecomctl-stamp"
PIP_TIMEOUT_S = 900


def kit_dir() -> Path | None:
    """The service kit's source: $ECOMCTL_KIT_DIR, the wheel's copy, or the repository's kit/."""
    explicit = config.env_path(config.KIT_DIR)
    if explicit:
        return explicit
    packaged = resources.files("ecomctl").joinpath(_PACKAGED_KIT)
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "kit"
    return checkout if (checkout / "pyproject.toml").is_file() else None


def uv_binary() -> str | None:
    """uv's executable when it is installed beside ecomctl and not switched off."""
    if os.environ.get(config.INSTALLER, "").strip() == "pip":
        return None
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return None


def install_command(python: Path, editables: list[str], *, uv: str | None = None) -> list[str]:
    """Editable installs of `editables` (paths, each optionally with `[extras]`) into the venv."""
    if uv:
        argv = [uv, "pip", "install", "--quiet", "--python", str(python)]
        # uv reads UV_CONSTRAINT; a user who pinned pip with PIP_CONSTRAINT means the same.
        for constraint in os.environ.get("PIP_CONSTRAINT", "").split():
            argv += ["--constraint", constraint]
    else:
        argv = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    for editable in editables:
        argv += ["-e", editable]
    return argv


def ensure_venv(
    workspace: Workspace,
    services: list[Path],
    progress: ProgressFn,
    *,
    extras: Sequence[str] = (),
) -> Path:
    """The venv's python, with the kit and `services` installed; the installer runs only on change.

    `extras` are installed for the services (not the kit): the template tests ask for "test".
    """
    venv = workspace.state_dir / "venv"
    python = venv / "bin" / "python"
    if python.is_file() and _sees_system_packages(venv):
        progress(f"recreating {venv} without the base interpreter's packages")
        shutil.rmtree(venv)
    if not python.is_file():
        progress(f"creating {venv}")
        _run([sys.executable, "-m", "venv", str(venv)], "venv")
    kit = kit_dir()
    stamp_file = venv / _STAMP
    wanted = _stamp(([kit] if kit else []) + sorted(services), extras)
    done = set(stamp_file.read_text().splitlines()) if stamp_file.is_file() else set()
    if wanted - done:
        uv = uv_binary()
        suffix = f"[{','.join(extras)}]" if extras else ""
        editables = ([str(kit)] if kit else []) + [f"{s}{suffix}" for s in sorted(services)]
        progress(f"{'uv pip' if uv else 'pip'} install -e {' -e '.join(editables)}")
        _run(install_command(python, editables, uv=uv), "installing the services")
        stamp_file.write_text("\n".join(sorted(done | wanted)))
    return python


def _sees_system_packages(venv: Path) -> bool:
    """True for a venv made by an older ecomctl with --system-site-packages."""
    cfg = venv / "pyvenv.cfg"
    if not cfg.is_file():
        return False
    for line in cfg.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "include-system-site-packages":
            return value.strip().lower() == "true"
    return False


def _stamp(sources: list[Path], extras: Sequence[str]) -> set[str]:
    """One line per source: its path, the extras asked for, and the hash of its pyproject.toml."""
    lines = set()
    tag = ",".join(extras) or "-"
    for source in sources:
        pyproject = source / "pyproject.toml"
        digest = hashlib.sha256(pyproject.read_bytes()).hexdigest() if pyproject.is_file() else "-"
        lines.add(f"{source.resolve()} {tag} {digest}")
    return lines


def _run(argv: list[str], what: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ComponentFailed("services", f"{what} took over {PIP_TIMEOUT_S}s") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise ComponentFailed("services", f"{what} failed (exit {done.returncode})", log_tail=tail)
