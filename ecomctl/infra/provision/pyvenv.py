"""Install Python servers (localstripe) from PyPI into their own virtualenv.

A server's pinned dependencies (localstripe pins its aiohttp range, for one)
must never clash with ecomctl's own, so each gets a virtualenv under the
cache, made with the standard `venv` module and filled with pip, the
ordinary client. pip's own cache makes a second install quick. The venv is
built in place and only the manifest written after it marks it complete
(a renamed venv would keep stale paths in its scripts).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ProgressFn

VENV_HINT = (
    "make sure Python's venv module works (`apt-get install python3-venv` on Debian) "
    "and that pip can reach the package registry"
)
_TAIL_LINES = 40


def venv_python(venv_dir: Path) -> Path:
    """The venv's interpreter (POSIX layout; ecomctl's local runtime is POSIX only)."""
    return venv_dir / "bin" / "python"


def venv_argv(venv_dir: Path, base_python: str | None = None) -> list[str]:
    return [base_python or sys.executable, "-m", "venv", "--clear", str(venv_dir)]


def pip_install_argv(python: Path, requirements: Sequence[str]) -> list[str]:
    quiet_flags = ["--disable-pip-version-check", "--no-input", "--progress-bar", "off"]
    return [str(python), "-m", "pip", "install", *quiet_flags, *requirements]


def create_venv(
    component: str,
    venv_dir: Path,
    requirements: Sequence[str],
    *,
    progress: ProgressFn,
    base_python: str | None = None,
) -> Path:
    """A fresh venv at `venv_dir` with `requirements` installed; returns its python.

    A lock file beside the venv keeps two installs (`ecomctl infra install`
    and a test run, say) from building into the same folder at once.
    """
    venv_dir.parent.mkdir(parents=True, exist_ok=True)
    with (venv_dir.parent / f".{venv_dir.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(venv_dir, ignore_errors=True)  # a half-built venv from an interruption
        progress(f"creating a virtualenv in {venv_dir}")
        _run(component, venv_argv(venv_dir, base_python), progress)
        python = venv_python(venv_dir)
        progress(f"pip install {' '.join(requirements)}")
        _run(component, pip_install_argv(python, requirements), progress)
    return python


def distribution_version(python: Path, distribution: str) -> str | None:
    """The installed version of `distribution` in the interpreter `python`, None if absent."""
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    try:
        done = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _run(component: str, argv: list[str], progress: ProgressFn) -> None:
    """Run a venv/pip step, streaming its output lines to `progress`."""
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    env = {**os.environ, "PIP_NO_PYTHON_VERSION_WARNING": "1"}
    env.pop("PYTHONPATH", None)  # ecomctl's own path must not leak into the server's venv
    try:
        proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    except OSError as exc:
        raise ComponentFailed(component, f"cannot run {argv[0]}: {exc.strerror}") from exc
    with proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip()
            if line:
                tail.append(line)
                progress(line)
    if proc.returncode != 0:
        errors = [line for line in tail if "error" in line.lower()]
        first = errors[0] if errors else (tail[-1] if tail else "no output")
        raise ComponentFailed(
            component,
            f"`{' '.join(argv[1:4])}` failed (exit {proc.returncode}): {first}",
            log_tail="\n".join(tail),
            hint=VENV_HINT,
        )
