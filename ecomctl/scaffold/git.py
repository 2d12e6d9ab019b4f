"""The little git a workspace needs: copier updates only git-tracked, clean projects.

A workspace outside any repository gets its own (`git init`, `.ecomctl/`
ignored) and ecomctl commits what it generates there. Inside a team's own
repository ecomctl commits the generated service too, but never commits a
person's uncommitted edits for them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ecomctl.errors import UserError

OWNED_MARKER = "git-owned"  # in .ecomctl/: this repository was created by ecomctl
_IDENTITY = ("-c", "user.name=ecomctl", "-c", "user.email=ecomctl@localhost")


def git(cwd: Path, *args: str, check: bool = True) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
        )
    except FileNotFoundError:
        raise UserError("git is not installed", hint="install git: copier needs it") from None
    if check and done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise UserError(f"git {args[0]} failed in {cwd}: {message[-1] if message else '?'}")
    return done.stdout


def top_level(path: Path) -> Path | None:
    done = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, text=True
    )
    return Path(done.stdout.strip()) if done.returncode == 0 else None


def ensure_repository(root: Path, state_dir: Path) -> Path:
    """The repository holding `root`; creates one (and remembers it did) when there is none."""
    found = top_level(root)
    if found is not None:
        return found
    git(root, "init", "--quiet")
    ignore = root / ".gitignore"
    if not ignore.exists():
        ignore.write_text(".ecomctl/\n__pycache__/\n*.egg-info/\n")
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / OWNED_MARKER).write_text(str(root))
    return root


def owned_by_ecomctl(root: Path, state_dir: Path) -> bool:
    marker = state_dir / OWNED_MARKER
    return marker.is_file() and top_level(root) == root.resolve()


def has_identity(cwd: Path) -> bool:
    return bool(git(cwd, "config", "--get", "user.email", check=False).strip())


def dirty_paths(cwd: Path, path: Path) -> list[str]:
    out = git(cwd, "status", "--porcelain", "--untracked-files=all", "--", str(path))
    return [line[3:] for line in out.splitlines() if line.strip()]


def commit(cwd: Path, paths: list[Path], message: str) -> bool:
    """Commit exactly `paths`; False when there was nothing to commit."""
    names = [str(p) for p in paths]
    git(cwd, "add", "--all", "--", *names)
    staged = git(cwd, "diff", "--cached", "--name-only", "--", *names).strip()
    if not staged:
        return False
    identity = () if has_identity(cwd) else _IDENTITY
    git(cwd, *identity, "commit", "--quiet", "--no-verify", "-m", message, "--", *names)
    return True


def conflicted(cwd: Path, path: Path) -> list[str]:
    """Files left with merge conflicts (copier marks inline conflicts as unmerged)."""
    out = git(cwd, "diff", "--name-only", "--diff-filter=U", "--", str(path), check=False)
    return [line for line in out.splitlines() if line.strip()]
