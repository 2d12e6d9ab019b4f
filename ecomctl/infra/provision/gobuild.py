"""Build Go servers (FerretDB, Mailpit) from the Go module proxy with the user's `go`.

Every build uses one Go workspace under the ecomctl cache (`<cache_dir>/go/`):
its module cache and build cache make a second install or an upgrade take
seconds instead of minutes, `rm -rf` of the ecomctl cache removes it all
(`-modcacherw` keeps the module cache deletable), and CI can cache that one
folder. A user who set GOMODCACHE or GOCACHE on purpose keeps them.

GOTOOLCHAIN defaults to `local`: an install never downloads another Go
toolchain behind the user's back; a `go` that is too old gets a clear error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ProgressFn

MIN_GO = (1, 24)  # FerretDB 1.24 and Mailpit 1.27 both declare go 1.24
GO_HINT = (
    "install Go 1.24 or newer (a Go release tarball, or your package manager's `golang` "
    "if it is recent enough) and put `go` on PATH"
)
_GO_VERSION = re.compile(r"go(\d+)\.(\d+)")
_TAIL_LINES = 40


def find_go(component: str) -> str:
    """The `go` executable, checked to be recent enough, or a ComponentFailed with a hint."""
    go = shutil.which("go")
    if go is None:
        raise ComponentFailed(component, "`go` was not found on PATH", hint=GO_HINT)
    found = go_version(go)
    if found is None:
        raise ComponentFailed(component, f"`{go} env GOVERSION` failed", hint=GO_HINT)
    if found < MIN_GO:
        have = ".".join(map(str, found))
        need = ".".join(map(str, MIN_GO))
        raise ComponentFailed(component, f"go {have} is too old, need {need}+", hint=GO_HINT)
    return go


def go_version(go: str) -> tuple[int, int] | None:
    """(major, minor) of a Go toolchain, None when it cannot tell."""
    try:
        done = subprocess.run(
            [go, "env", "GOVERSION"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_go_version(done.stdout)


def parse_go_version(text: str) -> tuple[int, int] | None:
    match = _GO_VERSION.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def go_workspace(cache_dir: Path) -> Path:
    return cache_dir / "go"


def go_env(cache_dir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for every go command: caches under the ecomctl cache, no telemetry."""
    env = dict(os.environ if base is None else base)
    workspace = go_workspace(cache_dir)
    env["GOPATH"] = str(workspace / "path")  # `go install` never writes into ~/go/bin
    env.setdefault("GOMODCACHE", str(workspace / "mod"))
    env.setdefault("GOCACHE", str(workspace / "build"))
    env.setdefault("GOTOOLCHAIN", "local")
    env.setdefault("CGO_ENABLED", "0")  # both servers are pure Go: no C compiler needed
    env["GOTELEMETRY"] = "off"
    flags = env.get("GOFLAGS", "").split()
    if "-modcacherw" not in flags:
        flags.append("-modcacherw")
    env["GOFLAGS"] = " ".join(flags)
    return env


def ldflags_args(ldflags: Sequence[str]) -> list[str]:
    return [f"-ldflags={' '.join(ldflags)}"] if ldflags else []


def install_argv(go: str, package: str, version: str, ldflags: Sequence[str] = ()) -> list[str]:
    """`go install pkg@version`: builds in module mode with the module's own go.mod."""
    return [go, "install", "-v", "-trimpath", *ldflags_args(ldflags), f"{package}@{version}"]


def build_argv(go: str, package: str, output: Path, ldflags: Sequence[str] = ()) -> list[str]:
    # -buildvcs=false: the copy may sit inside the user's git repository (a workspace cache).
    return [
        go,
        "build",
        "-v",
        "-trimpath",
        "-buildvcs=false",
        *ldflags_args(ldflags),
        "-o",
        str(output),
        package,
    ]


def go_install(
    component: str,
    package: str,
    version: str,
    *,
    bin_dir: Path,
    cache_dir: Path,
    progress: ProgressFn,
    ldflags: Sequence[str] = (),
) -> Path:
    """Install `package@version` into `bin_dir`; returns the binary.

    `go install` writes into a private staging folder first, then the binary
    is renamed into place (same reasons as in `go_build`).
    """
    go = find_go(component)
    name = package.rstrip("/").rsplit("/", 1)[-1]
    staging = bin_dir.parent / f".gobin-{os.getpid()}"
    bin_dir.mkdir(parents=True, exist_ok=True)
    env = {**go_env(cache_dir), "GOBIN": str(staging)}
    progress(f"go install {package}@{version}")
    try:
        argv = install_argv(go, package, version, ldflags)
        run_go(component, argv, cwd=bin_dir, env=env, progress=progress)
        if not (staging / name).is_file():
            raise ComponentFailed(component, f"go install finished but made no {name} binary")
        (staging / name).replace(bin_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return bin_dir / name


def module_source(
    component: str,
    module: str,
    version: str,
    *,
    dest: Path,
    cache_dir: Path,
    progress: ProgressFn,
) -> Path:
    """A writable copy of a module's source at `dest` (replaced whole), via the module cache.

    For programs whose build needs a generated file the module zip lacks.
    """
    go = find_go(component)
    env = go_env(cache_dir)
    progress(f"go mod download {module}@{version}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [go, "mod", "download", "-json", f"{module}@{version}"],
        cwd=dest.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    info = _download_info(done.stdout)
    if done.returncode != 0 or "Dir" not in info:
        message = str(info.get("Error") or done.stderr.strip() or "no module directory")
        raise ComponentFailed(
            component,
            f"go mod download {module}@{version} failed: {message}",
            log_tail=done.stderr,
            hint="check access to the Go module proxy (GOPROXY) and `go env`",
        )
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(info["Dir"], dest)
    for path in [dest, *dest.rglob("*")]:  # module cache files are read-only
        path.chmod(path.stat().st_mode | 0o200)
    return dest


def _download_info(stdout: str) -> dict[str, str]:
    try:
        data = json.loads(stdout)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def go_build(
    component: str,
    src_dir: Path,
    package: str,
    *,
    output: Path,
    cache_dir: Path,
    progress: ProgressFn,
    ldflags: Sequence[str] = (),
) -> Path:
    """`go build` a package of the module in `src_dir` into `output`.

    The binary is built beside `output` and renamed over it, so a concurrent
    install or a server still running the old binary never sees a torn file.
    """
    go = find_go(component)
    output.parent.mkdir(parents=True, exist_ok=True)
    staged = output.with_name(f".{output.name}.{os.getpid()}")
    progress(f"go build {package} (first build takes a minute or two)")
    argv = build_argv(go, package, staged, ldflags)
    run_go(component, argv, cwd=src_dir, env=go_env(cache_dir), progress=progress)
    if not staged.is_file():
        raise ComponentFailed(component, f"go build finished but {staged} is missing")
    staged.replace(output)
    return output


def run_go(
    component: str, argv: list[str], *, cwd: Path, env: Mapping[str, str], progress: ProgressFn
) -> None:
    """Run a go command, handing each output line to `progress` as it comes."""
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
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
        first = next((line for line in tail if "error" in line.lower()), tail[-1] if tail else "")
        raise ComponentFailed(
            component,
            f"`go {argv[1]}` failed (exit {proc.returncode}): {first}",
            log_tail="\n".join(tail),
            hint="check access to the Go module proxy (GOPROXY) and `go env`",
        )
