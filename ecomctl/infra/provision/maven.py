"""Provision JVM servers (Kafka, OpenSearch, Zipkin) from Maven Central with `mvn`.

Maven is the ordinary client of the only registry that serves these servers'
jars here, so an install writes a throwaway pom that depends on the wanted
artifacts and lets the dependency plugin copy them (with their dependencies)
into a folder of the cache. A small JSON manifest written *last* marks the
install complete, so `locate` never finds a half-copied folder and `doctor`
can show versions without starting a JVM.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import Installation, ProgressFn

# Pinned so every machine resolves the same way; Maven 3.8's default binding
# (2.8) is old and ignores some of the flags used below.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
MANIFEST_NAME = "installed.json"
MVN_HINT = "install Maven and a Java 17 runtime: `apt-get install maven openjdk-17-jre-headless`"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_POM_NS = "http://maven.apache.org/POM/4.0.0"


@dataclass(frozen=True)
class Artifact:
    """One Maven artifact to copy; `transitive=False` copies the jar alone (exec jars)."""

    group: str
    artifact: str
    version: str
    classifier: str | None = None
    transitive: bool = True

    @property
    def file_name(self) -> str:
        suffix = f"-{self.classifier}" if self.classifier else ""
        return f"{self.artifact}-{self.version}{suffix}.jar"

    def __str__(self) -> str:
        suffix = f":jar:{self.classifier}" if self.classifier else ""
        return f"{self.group}:{self.artifact}:{self.version}{suffix}"


def find_mvn(component: str) -> str:
    """The `mvn` executable, or a ComponentFailed that says how to get it."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ComponentFailed(component, "`mvn` was not found on PATH", hint=MVN_HINT)
    return mvn


def render_pom(project: str, artifacts: Sequence[Artifact]) -> str:
    """A pom whose only purpose is to depend on `artifacts`."""
    ET.register_namespace("", _POM_NS)
    root = ET.Element(f"{{{_POM_NS}}}project")
    _add(root, "modelVersion", "4.0.0")
    _add(root, "groupId", "ecomctl.provision")
    _add(root, "artifactId", project)
    _add(root, "version", "0")
    _add(root, "packaging", "pom")
    deps = _add(root, "dependencies")
    for art in artifacts:
        dep = _add(deps, "dependency")
        _add(dep, "groupId", art.group)
        _add(dep, "artifactId", art.artifact)
        _add(dep, "version", art.version)
        if art.classifier:
            _add(dep, "classifier", art.classifier)
        if not art.transitive:
            exclusion = _add(_add(dep, "exclusions"), "exclusion")
            _add(exclusion, "groupId", "*")
            _add(exclusion, "artifactId", "*")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, f"{{{_POM_NS}}}{tag}")
    child.text = text
    return child


def mvn_command(mvn: str, lib_dir: Path) -> list[str]:
    """The command that copies the pom's runtime dependencies into `lib_dir`."""
    return [
        mvn,
        "-B",  # batch mode: no interactive prompts
        "-Dstyle.color=never",
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        f"-DoutputDirectory={lib_dir}",
        "-DincludeScope=runtime",  # no test or provided jars on a server's classpath
    ]


def copy_artifacts(
    component: str,
    artifacts: Sequence[Artifact],
    *,
    lib_dir: Path,
    work_dir: Path,
    progress: ProgressFn,
) -> list[Path]:
    """Resolve `artifacts` with mvn and copy their jars into `lib_dir` (replaced whole)."""
    mvn = find_mvn(component)
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "pom.xml").write_text(render_pom(f"{component}-install", artifacts))
    partial = lib_dir.with_name(lib_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    progress(f"resolving {', '.join(str(a) for a in artifacts)} with mvn")
    _run_streaming(component, mvn_command(mvn, partial), cwd=work_dir, progress=progress)
    missing = [a.file_name for a in artifacts if not (partial / a.file_name).is_file()]
    if missing:
        raise ComponentFailed(component, f"mvn finished but did not copy {', '.join(missing)}")
    shutil.rmtree(lib_dir, ignore_errors=True)
    partial.rename(lib_dir)
    return sorted(lib_dir.glob("*.jar"))


def _run_streaming(component: str, argv: list[str], *, cwd: Path, progress: ProgressFn) -> None:
    """Run mvn, handing each meaningful output line to `progress` as it comes."""
    tail: deque[str] = deque(maxlen=40)
    env = {**os.environ, "MAVEN_OPTS": os.environ.get("MAVEN_OPTS", "-Xmx512m")}
    with subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = _clean(raw)
            if line:
                tail.append(line)
                progress(line)
    if proc.returncode != 0:
        errors = [line for line in tail if line.startswith("[ERROR]")]
        first = errors[0].removeprefix("[ERROR]").strip() if errors else "see the log tail"
        raise ComponentFailed(
            component,
            f"mvn failed (exit {proc.returncode}): {first}",
            log_tail="\n".join(tail),
            hint="check network access to the Maven registry and ~/.m2/settings.xml",
        )


def _clean(raw: str) -> str:
    """Drop mvn's level prefix for INFO lines and its separator rulers."""
    line = _ANSI.sub("", raw).rstrip().removeprefix("[INFO] ").strip()
    return "" if not line or set(line) <= {"-"} else line


def write_manifest(home: Path, installation: Installation) -> None:
    """Record a finished install; written last so its presence means 'complete'."""
    data = {
        "component": installation.component,
        "version": installation.version,
        "source": installation.source,
        "paths": installation.paths,
    }
    tmp = home / (MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(home / MANIFEST_NAME)


def read_manifest(home: Path) -> Installation | None:
    """The installation recorded in `home`, if complete and its paths still exist."""
    try:
        data = json.loads((home / MANIFEST_NAME).read_text())
        installation = Installation(
            component=str(data["component"]),
            version=str(data["version"]),
            source=str(data["source"]),
            paths={str(k): str(v) for k, v in dict(data["paths"]).items()},
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not all(Path(p).exists() for p in installation.paths.values()):
        return None
    return installation
