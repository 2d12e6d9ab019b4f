"""What the Debian-packaged components share: finding binaries, versions, socket dirs."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?)")
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux; keep room for the file name


def find_binary(names: Iterable[str], debian_dirs: Iterable[Path]) -> tuple[Path, str] | None:
    """The first of `names` on PATH (source "path"), else in a Debian location ("apt").

    Debian puts server binaries in /usr/sbin or /usr/lib/<pkg>/bin, which a
    normal user's PATH does not include.
    """
    names = list(names)
    for name in names:
        found = shutil.which(name)
        if found:
            return Path(found), "path"
    for directory in debian_dirs:
        for name in names:
            candidate = directory / name
            if candidate.is_file():
                return candidate, "apt"
    return None


def binary_version(binary: Path, *args: str) -> str | None:
    """The first dotted version number `binary --version` prints, None if it fails."""
    try:
        done = subprocess.run(
            [str(binary), *(args or ("--version",))],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    # Some servers echo their own path first, which may hold digits of its own.
    match = _VERSION.search((done.stdout + done.stderr).replace(str(binary), ""))
    return match.group(1) if match else None


def socket_dir(run_dir: Path, socket_name: str) -> Path:
    """`run_dir`, or a short directory in /tmp when the socket path would be too long."""
    if len(str(run_dir / socket_name)) <= _MAX_SOCKET_PATH:
        return run_dir
    digest = hashlib.sha256(str(run_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"ecomctl-{digest}"
