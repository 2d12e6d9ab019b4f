"""The workspace's virtualenv that runs every generated service.

Created with `--system-site-packages` so libraries already installed with
ecomctl (FastAPI, SQLAlchemy, the drivers...) are reused rather than
downloaded again; the service kit and each service are installed editable,
so an edit in `services/<name>` needs a restart, not a reinstall. A stamp of
the pyproject files it was built from makes a second `up` skip pip.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
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


def install_command(python: Path, sources: list[Path]) -> list[str]:
    argv = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    for source in sources:
        argv += ["-e", str(source)]
    return argv


def ensure_venv(workspace: Workspace, services: list[Path], progress: ProgressFn) -> Path:
    """The venv's python, with the kit and `services` installed; pip runs only on change."""
    venv = workspace.state_dir / "venv"
    python = venv / "bin" / "python"
    if not python.is_file():
        progress(f"creating {venv}")
        _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], "venv")
    kit = kit_dir()
    sources = ([kit] if kit else []) + sorted(services)
    stamp_file = venv / _STAMP
    wanted = _stamp(sources)
    done = set(stamp_file.read_text().splitlines()) if stamp_file.is_file() else set()
    if wanted - done:
        progress(f"pip install -e {' -e '.join(s.name for s in sources)}")
        _run(install_command(python, sources), "pip install")
        stamp_file.write_text("\n".join(sorted(done | wanted)))
    return python


def _stamp(sources: list[Path]) -> set[str]:
    """One line per source: its path and the hash of its pyproject.toml."""
    lines = set()
    for source in sources:
        pyproject = source / "pyproject.toml"
        digest = hashlib.sha256(pyproject.read_bytes()).hexdigest() if pyproject.is_file() else "-"
        lines.add(f"{source.resolve()} {digest}")
    return lines


def _run(argv: list[str], what: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ComponentFailed("services", f"{what} took over {PIP_TIMEOUT_S}s") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise ComponentFailed("services", f"{what} failed (exit {done.returncode})", log_tail=tail)
