"""MongoDB wire protocol: FerretDB 1.24 on SQLite, built from the Go module proxy.

FerretDB's version package panics at start unless `build/version/version.txt`
holds a version, and the module zip does not ship that generated file (a
plain `go install`, and with Go 1.26 a build from a wrapper module too, both
panic). So the install copies the module's source out of the module cache,
writes that one file and builds it as its own main module with its own
go.sum: the same dependency versions as the upstream release.

Known gaps of FerretDB 1.24 that services must live with (checked here):
`$avg`, `$max`, `$push` accumulators and `$divide` are not implemented, and a
`$group` with two accumulators computes only the first (the others read 0):
compute averages from one `$sum` per `$group`, or in the service.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pymongo
from pymongo.errors import PyMongoError

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import (
    ComponentContext,
    InfraComponent,
    Installation,
    NotReady,
    ProcessSpec,
    ProgressFn,
    bind_host,
)
from ecomctl.infra.provision.gobuild import GO_HINT, go_build, module_source
from ecomctl.infra.provision.maven import read_manifest, write_manifest

MODULE = "github.com/FerretDB/FerretDB"
PACKAGE = "./cmd/ferretdb"
DEFAULT_VERSION = "1.24.2"
DEFAULT_IMAGE = "mongo:7"
_VERSION_LINE = re.compile(r"version:\s*v?(\d+\.\d+\.\d+)")


def ferretdb_argv(binary: Path, ctx: ComponentContext) -> list[str]:
    """FerretDB on SQLite with its data under data_dir, quiet about the outside world.

    SQLite lets one writer commit at a time, and in WAL mode with SQLite's default
    `synchronous=FULL` every commit waits for an fsync of the log: every insert of every
    service queued behind the disk (about 1,400 inserts/s at 8 concurrent here).
    `synchronous=NORMAL` syncs the log at checkpoints instead — the setting SQLite
    recommends with WAL —, so a crash of FerretDB or of a service loses nothing, and an
    operating-system crash or power cut may lose the last commits (for the notification
    service: an email may go out again, which its Message-ID lets a mail store fold).

    Its debug HTTP listener (metrics, pprof) defaults to 127.0.0.1:8088 for
    every instance, so it is off unless the stack names a `debug` port.
    """
    debug_port = ctx.ports.get("debug")
    return [
        str(binary),
        "--handler=sqlite",
        f"--sqlite-url=file:{sqlite_dir(ctx)}/?_pragma=synchronous(normal)",
        f"--state-dir={ctx.data_dir / 'state'}",
        f"--listen-addr={bind_host(ctx)}:{ctx.port}",
        f"--debug-addr={bind_host(ctx)}:{debug_port}" if debug_port else "--debug-addr=",
        "--telemetry=disable",
    ]


def sqlite_dir(ctx: ComponentContext) -> Path:
    return ctx.data_dir / "sqlite"


def mongo_url(host: str, port: int) -> str:
    return f"mongodb://{host}:{port}/"


def parse_ferretdb_version(text: str) -> str | None:
    """The version from `ferretdb --version` ("version: v1.24.2" among other lines)."""
    match = _VERSION_LINE.search(text)
    return match.group(1) if match else None


def version_fits(version: str) -> bool:
    """A FerretDB on PATH fits when it is the same minor line (flags and SQLite layout)."""
    return version.split(".")[:2] == DEFAULT_VERSION.split(".")[:2]


def binary_version(binary: Path) -> str | None:
    try:
        done = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_ferretdb_version(done.stdout + done.stderr)


class MongoComponent(InfraComponent):
    name = "mongo"
    description = "MongoDB wire protocol (FerretDB on SQLite)"
    default_port = 27017
    ready_timeout_s = 60.0

    def install_home(self, cache_dir: Path) -> Path:
        return cache_dir / self.name / DEFAULT_VERSION

    def locate(self, cache_dir: Path) -> Installation | None:
        on_path = shutil.which("ferretdb")
        if on_path:
            version = binary_version(Path(on_path))
            if version and version_fits(version):
                return Installation(self.name, version, "path", {"bin": on_path})
        return read_manifest(self.install_home(cache_dir))

    def install(self, cache_dir: Path, progress: ProgressFn) -> Installation:
        home = self.install_home(cache_dir)
        binary = home / "bin" / "ferretdb"
        src = home / f"src-{os.getpid()}"  # private: another install may run at the same time
        try:
            self._build(src, binary, cache_dir, progress)
        finally:
            shutil.rmtree(src, ignore_errors=True)  # the module cache keeps the source
        if binary_version(binary) != DEFAULT_VERSION:
            raise ComponentFailed(self.name, f"built {binary} does not report {DEFAULT_VERSION}")
        installation = Installation(self.name, DEFAULT_VERSION, "go", {"bin": str(binary)})
        write_manifest(home, installation)
        progress(f"FerretDB {DEFAULT_VERSION} built into {binary}")
        return installation

    def _build(self, src: Path, binary: Path, cache_dir: Path, progress: ProgressFn) -> None:
        """Build from a copy of the module with the version file its release build generates."""
        version = f"v{DEFAULT_VERSION}"
        module_source(self.name, MODULE, version, dest=src, cache_dir=cache_dir, progress=progress)
        (src / "build" / "version" / "version.txt").write_text(version + "\n")
        go_build(self.name, src, PACKAGE, output=binary, cache_dir=cache_dir, progress=progress)

    def install_hint(self) -> str:
        return (
            "run `ecomctl infra install mongo` (it builds FerretDB with go; "
            f"{GO_HINT}), or put a FerretDB 1.24 `ferretdb` binary on PATH"
        )

    def prepare(self, ctx: ComponentContext) -> None:
        sqlite_dir(ctx).mkdir(parents=True, exist_ok=True)
        (ctx.data_dir / "state").mkdir(parents=True, exist_ok=True)

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        if ctx.installation is None:
            raise ComponentFailed(self.name, "not installed", hint=self.install_hint())
        return ProcessSpec(argv=ferretdb_argv(ctx.installation.path("bin"), ctx), cwd=ctx.data_dir)

    def check_ready(self, ctx: ComponentContext) -> None:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            mongo_url(ctx.host, ctx.port),
            directConnection=True,
            serverSelectionTimeoutMS=2000,
            connectTimeoutMS=2000,
        )
        try:
            reply = client.admin.command("ping")
        except PyMongoError as exc:
            raise NotReady(str(exc)) from exc
        finally:
            client.close()
        if reply.get("ok") != 1:
            raise NotReady(f"ping answered {reply}")

    # after_ready: nothing to do. FerretDB (like MongoDB) creates a database and
    # a collection on their first write, so the stack's `databases` need no setup.

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        ping = "db.adminCommand('ping').ok"
        return {
            "image": ctx.spec.image or DEFAULT_IMAGE,
            "ports": [f"127.0.0.1:{ctx.port}:27017"],
            "volumes": [f"{ctx.name}-data:/data/db"],
            "healthcheck": {
                "test": ["CMD", "mongosh", "--quiet", "--eval", ping],
                "interval": "5s",
                "timeout": "5s",
                "retries": 30,
                "start_period": "10s",
            },
        }
