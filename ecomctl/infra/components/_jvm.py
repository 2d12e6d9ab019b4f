"""What Kafka, OpenSearch and Zipkin share: a Java runtime and jars from Maven.

Each of them is installed as `<cache_dir>/<component>/<version>/lib/*.jar`
with an `installed.json` manifest beside `lib/`, and runs as `java` with a
fixed heap (Xms = Xmx, so a laptop sees the memory it will use at once).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import (
    ComponentContext,
    InfraComponent,
    Installation,
    ProgressFn,
)
from ecomctl.infra.provision.maven import (
    MVN_HINT,
    Artifact,
    copy_artifacts,
    read_manifest,
    write_manifest,
)

JAVA_HOME = "JAVA_HOME"
JAVA_HINT = "install a Java 17 runtime (`apt-get install openjdk-17-jre-headless`) or set JAVA_HOME"


def java_binary(component: str) -> str:
    """`$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` on PATH."""
    home = os.environ.get(JAVA_HOME, "").strip()
    if home:
        candidate = Path(home) / "bin" / "java"
        if candidate.is_file():
            return str(candidate)
        raise ComponentFailed(component, f"JAVA_HOME={home} has no bin/java", hint=JAVA_HINT)
    found = shutil.which("java")
    if found is None:
        raise ComponentFailed(component, "`java` was not found on PATH", hint=JAVA_HINT)
    return found


def javac_binary(component: str) -> str | None:
    """The compiler of the same JDK as `java_binary`, if that Java is a JDK."""
    java = Path(os.path.realpath(java_binary(component)))
    javac = java.with_name("javac")
    return str(javac) if javac.is_file() else None


def heap_args(heap_mb: int) -> list[str]:
    return [f"-Xms{heap_mb}m", f"-Xmx{heap_mb}m"]


class MavenJvmComponent(InfraComponent):
    """A server whose jars come from Maven Central and run on the machine's Java."""

    default_version: str
    default_heap_mb: int

    def artifacts(self, version: str) -> list[Artifact]:
        """The artifacts to copy for `version` (with their dependencies unless marked)."""
        raise NotImplementedError

    def install_home(self, cache_dir: Path, version: str | None = None) -> Path:
        return cache_dir / self.name / (version or self.default_version)

    def locate(self, cache_dir: Path) -> Installation | None:
        return read_manifest(self.install_home(cache_dir))

    def install(self, cache_dir: Path, progress: ProgressFn) -> Installation:
        java_binary(self.name)  # fail before a download that could never run
        home = self.install_home(cache_dir)
        lib = home / "lib"
        copy_artifacts(
            self.name,
            self.artifacts(self.default_version),
            lib_dir=lib,
            work_dir=home / "mvn",
            progress=progress,
        )
        paths = {"home": str(home), "lib": str(lib), **self.finish_install(home, progress)}
        installation = Installation(
            component=self.name, version=self.default_version, source="maven", paths=paths
        )
        write_manifest(home, installation)
        progress(f"{self.name} {self.default_version} installed in {home}")
        return installation

    def finish_install(self, home: Path, progress: ProgressFn) -> dict[str, str]:
        """A hook run after the jars are copied; returns extra named paths for the manifest."""
        return {}

    def install_hint(self) -> str:
        return f"run `ecomctl infra install {self.name}` ({MVN_HINT})"

    def heap_mb(self, ctx: ComponentContext) -> int:
        return ctx.spec.heap_mb or self.default_heap_mb

    def installation(self, ctx: ComponentContext) -> Installation:
        if ctx.installation is None:
            raise ComponentFailed(self.name, "not installed", hint=self.install_hint())
        return ctx.installation

    def classpath(self, ctx: ComponentContext) -> str:
        """A classpath wildcard over the installation's jars (expanded by java itself)."""
        return str(self.installation(ctx).path("lib") / "*")
