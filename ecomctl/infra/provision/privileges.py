"""Dropping root for servers that refuse to run as root (PostgreSQL).

When ecomctl runs as root, PostgreSQL has to run as an unprivileged system
user. Its data directory may sit under a directory that user cannot traverse
(`/root` is mode 700, so are pytest's temporary directories). Rather than
loosening the permissions of directories we do not own, the server gets
CAP_DAC_READ_SEARCH as an *ambient* capability: it may traverse and read any
path, and it still writes only where it owns the files (we chown its data and
socket directories to it). `setpriv` (util-linux, present on every Debian)
sets the user, groups and capability sets in one exec.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from ecomctl.errors import ComponentFailed

CAP_DAC_READ_SEARCH = 2
"""Capability number from linux/capability.h."""


def needs_switch(user: str | None) -> bool:
    """True when a process must change user: we are root and `user` is someone else."""
    if user is None or os.geteuid() != 0:
        return False
    return user != pwd.getpwuid(0).pw_name


def _user_entry(user: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(user)
    except KeyError:
        raise ComponentFailed(
            user,
            f"system user {user!r} does not exist",
            hint=f"create it with `useradd --system {user}` or install the Debian package",
        ) from None


def _bounding_caps(status_file: Path = Path("/proc/self/status")) -> int:
    """The capability bounding set of this process (0 if unknown)."""
    try:
        for line in status_file.read_text().splitlines():
            if line.startswith("CapBnd:"):
                return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def can_grant_read_search(status_file: Path = Path("/proc/self/status")) -> bool:
    """Whether CAP_DAC_READ_SEARCH can be passed on (not in default Docker containers)."""
    return bool(_bounding_caps(status_file) & (1 << CAP_DAC_READ_SEARCH))


def setpriv_argv(argv: list[str], user: str, *, read_search: bool, setpriv: str) -> list[str]:
    """The `setpriv` command line that runs `argv` as `user` (pure, for tests)."""
    wrapper = [setpriv, f"--reuid={user}", f"--regid={user}", "--init-groups"]
    if read_search:
        wrapper += ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
    return [*wrapper, "--", *argv]


def wrap_for_user(argv: list[str], user: str) -> list[str]:
    """Turn `argv` into a command that runs as `user` when we are root.

    Returns `argv` unchanged when no switch is needed (not root, or already
    that user), so callers can apply it to every ProcessSpec with a run_as.
    """
    if not needs_switch(user):
        return list(argv)
    _user_entry(user)
    setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
    if not Path(setpriv).exists():
        raise ComponentFailed(
            user,
            "cannot drop root privileges: `setpriv` is missing",
            hint="sudo apt-get install -y util-linux",
        )
    return setpriv_argv(argv, user, read_search=can_grant_read_search(), setpriv=setpriv)


def chown_for_user(path: Path | str, user: str) -> None:
    """Give `path` (recursively) to `user` when we are root; a no-op otherwise."""
    if not needs_switch(user):
        return
    entry = _user_entry(user)
    root = Path(path)
    if root.stat().st_uid == entry.pw_uid:
        return  # given away before; what the server created since is its own already
    for item in [root, *root.rglob("*")]:
        os.lchown(item, entry.pw_uid, entry.pw_gid)


def check_user_can_write(path: Path, user: str) -> None:
    """Fail early, with a readable line, if `user` cannot write into `path`.

    Without CAP_DAC_READ_SEARCH (e.g. inside a Docker container) a data
    directory under /root is unreachable for the server's user; better to say
    so than to let the server die with a permission error in its log.
    """
    if not needs_switch(user):
        return
    # A real write: test(1) uses access(2), which ignores capabilities for non-root.
    script = 'probe=$(mktemp -p "$1") && rm -f "$probe"'
    probe = wrap_for_user(["sh", "-c", script, "probe", str(path)], user)
    if subprocess.run(probe, check=False, capture_output=True).returncode != 0:
        raise ComponentFailed(
            user,
            f"the {user} user cannot reach {path}",
            hint=f"use a workspace outside /root, or make its parent directories "
            f"traversable (chmod o+x) for {user}",
        )
