"""What the Debian-packaged components share: a base class, finding binaries, versions,
socket dirs.

PostgreSQL, MariaDB, Redis and Prometheus come from Debian packages (or the
user's own binaries on PATH): `DebianPackagedComponent` finds the server
binary, reads its version, installs the packages with apt (stopping the system
daemon the package starts: ecomctl runs its own) and hints the sudo command; a
subclass names its packages and binaries and keeps only how it runs.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import InfraComponent, Installation, ProgressFn
from ecomctl.infra.provision.apt import install_packages, sudo_hint

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


class DebianPackagedComponent(InfraComponent):
    """A server installed from Debian packages, found on PATH or where Debian puts it."""

    packages: tuple[str, ...]  # what `apt-get install` gets
    system_services: tuple[str, ...] = ()  # daemons the packages start; stopped after install
    server_names: tuple[str, ...]  # the server binary, first match wins
    server_key = "server"  # its name among the installation's paths

    def debian_dirs(self) -> Sequence[Path]:
        """Where Debian installs the binaries (a user's PATH often lacks them)."""
        raise NotImplementedError

    def more_paths(self, server: Path) -> dict[str, str] | None:
        """Other binaries the component needs beside `server`; None when one is missing."""
        return {}

    def locate(self, cache_dir: Path) -> Installation | None:
        found = find_binary(self.server_names, self.debian_dirs())
        if found is None:
            return None
        server, source = found
        more = self.more_paths(server)
        version = binary_version(server)
        if more is None or version is None:
            return None
        return Installation(
            component=self.name,
            version=version,
            source=source,
            paths={self.server_key: str(server), **more},
        )

    def install(self, cache_dir: Path, progress: ProgressFn) -> Installation:
        install_packages(self.name, self.packages, progress, services=self.system_services)
        installation = self.locate(cache_dir)
        if installation is None:
            raise ComponentFailed(
                self.name, f"installed {self.packages[0]} but found no {self.server_names[0]}"
            )
        return installation

    def install_hint(self) -> str:
        return sudo_hint(self.packages)
