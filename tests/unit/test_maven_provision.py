"""Maven provisioning without a registry: the pom, the command, and a fake `mvn` on PATH."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import Installation
from ecomctl.infra.provision import maven
from ecomctl.infra.provision.maven import Artifact

NS = {"m": "http://maven.apache.org/POM/4.0.0"}
KAFKA = Artifact("org.apache.kafka", "kafka_2.13", "4.3.1")
ZIPKIN = Artifact("io.zipkin", "zipkin-server", "3.6.1", "exec", transitive=False)

# Copies one empty jar per `-DoutputDirectory` for each name in $FAKE_JARS, like the plugin.
FAKE_MVN = """#!/bin/sh
echo "[INFO] Scanning for projects..."
echo "[INFO] ------------------------------------------------------------------------"
for arg in "$@"; do
  case "$arg" in -DoutputDirectory=*) out="${arg#-DoutputDirectory=}";; esac
done
if [ -n "$FAKE_FAIL" ]; then
  echo "[ERROR] Failed to execute goal: could not resolve $FAKE_FAIL"
  exit 1
fi
mkdir -p "$out"
for jar in $FAKE_JARS; do : > "$out/$jar"; done
echo "[INFO] BUILD SUCCESS"
"""


@pytest.fixture
def fake_mvn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "mvn"
    script.write_text(FAKE_MVN)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return script


def test_artifact_names_match_what_the_dependency_plugin_copies() -> None:
    assert KAFKA.file_name == "kafka_2.13-4.3.1.jar"
    assert ZIPKIN.file_name == "zipkin-server-3.6.1-exec.jar"
    assert str(ZIPKIN) == "io.zipkin:zipkin-server:3.6.1:jar:exec"


def test_pom_declares_each_artifact_and_excludes_dependencies_of_exec_jars() -> None:
    root = ET.fromstring(maven.render_pom("kafka-install", [KAFKA, ZIPKIN]))
    assert root.findtext("m:packaging", namespaces=NS) == "pom"
    deps = root.findall("m:dependencies/m:dependency", NS)
    assert [d.findtext("m:artifactId", namespaces=NS) for d in deps] == [
        "kafka_2.13",
        "zipkin-server",
    ]
    assert deps[0].find("m:exclusions", NS) is None
    assert deps[1].findtext("m:classifier", namespaces=NS) == "exec"
    assert deps[1].findtext("m:exclusions/m:exclusion/m:groupId", namespaces=NS) == "*"


def test_mvn_command_pins_the_plugin_and_keeps_runtime_jars_only(tmp_path: Path) -> None:
    argv = maven.mvn_command("mvn", tmp_path / "lib")
    assert argv[0] == "mvn" and "-B" in argv
    assert f"{maven.DEPENDENCY_PLUGIN}:copy-dependencies" in argv
    assert f"-DoutputDirectory={tmp_path / 'lib'}" in argv
    assert "-DincludeScope=runtime" in argv


def test_copy_artifacts_streams_lines_and_replaces_the_lib_folder(
    fake_mvn: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_JARS", "kafka_2.13-4.3.1.jar scala-library-2.13.18.jar")
    lib = tmp_path / "kafka" / "lib"
    lib.mkdir(parents=True)
    (lib / "stale.jar").write_text("")
    lines: list[str] = []
    jars = maven.copy_artifacts(
        "kafka", [KAFKA], lib_dir=lib, work_dir=tmp_path / "kafka" / "mvn", progress=lines.append
    )
    assert [j.name for j in jars] == ["kafka_2.13-4.3.1.jar", "scala-library-2.13.18.jar"]
    assert not (lib / "stale.jar").exists()
    assert (tmp_path / "kafka" / "mvn" / "pom.xml").is_file()
    assert "Scanning for projects..." in lines and "BUILD SUCCESS" in lines
    assert not any(set(line) <= {"-"} for line in lines)


def test_a_failing_mvn_names_its_first_error(
    fake_mvn: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FAIL", "org.apache.kafka:kafka_2.13:4.3.1")
    lib = tmp_path / "lib"
    with pytest.raises(ComponentFailed, match=r"could not resolve org\.apache\.kafka") as info:
        maven.copy_artifacts("kafka", [KAFKA], lib_dir=lib, work_dir=tmp_path, progress=print)
    assert "BUILD" not in str(info.value) and info.value.log_tail
    assert not lib.exists()


def test_mvn_that_copies_nothing_is_an_error(
    fake_mvn: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_JARS", "")
    with pytest.raises(ComponentFailed, match=r"did not copy kafka_2\.13-4\.3\.1\.jar"):
        maven.copy_artifacts(
            "kafka", [KAFKA], lib_dir=tmp_path / "lib", work_dir=tmp_path, progress=print
        )


def test_missing_mvn_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ComponentFailed, match="`mvn` was not found") as info:
        maven.find_mvn("zipkin")
    assert info.value.hint is not None and "apt-get install maven" in info.value.hint


def test_manifest_round_trip_and_incomplete_installs(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    installation = Installation(
        "zipkin", "3.6.1", "maven", {"home": str(tmp_path), "lib": str(lib)}
    )
    assert maven.read_manifest(tmp_path) is None
    maven.write_manifest(tmp_path, installation)
    assert maven.read_manifest(tmp_path) == installation
    lib.rmdir()  # someone cleaned the cache by hand
    assert maven.read_manifest(tmp_path) is None
    (tmp_path / maven.MANIFEST_NAME).write_text("{not json")
    assert maven.read_manifest(tmp_path) is None
