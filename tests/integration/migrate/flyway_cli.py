"""The real Flyway command line, provisioned from Maven Central with mvn.

Used by the interop tests and bench/migrate_time.py. Run it directly to
provision (CI does): ``python tests/integration/migrate/flyway_cli.py``
prints the folder of jars, or exits 1 saying why it could not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

FLYWAY_VERSION = "12.4.0"
_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ecomctl</groupId><artifactId>flyway-cli</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencyManagement><dependencies>
    <!-- flyway-commandline pulls Jackson 3, which needs annotations 2.21 -->
    <dependency><groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-annotations</artifactId><version>2.21</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>org.flywaydb</groupId><artifactId>flyway-commandline</artifactId>
      <version>{v}</version></dependency>
    <dependency><groupId>org.flywaydb</groupId><artifactId>flyway-database-postgresql</artifactId>
      <version>{v}</version></dependency>
    <dependency><groupId>org.flywaydb</groupId><artifactId>flyway-mysql</artifactId>
      <version>{v}</version></dependency>
    <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId>
      <version>42.7.4</version></dependency>
    <dependency><groupId>org.mariadb.jdbc</groupId><artifactId>mariadb-java-client</artifactId>
      <version>3.4.1</version></dependency>
  </dependencies>
</project>
"""


def home() -> Path:
    base = os.environ.get("ECOMCTL_FLYWAY_HOME")
    return Path(base) if base else Path.home() / ".cache" / "ecomctl" / "flyway"


def lib_dir() -> Path:
    return home() / FLYWAY_VERSION / "lib"


def provision() -> tuple[Path | None, str]:
    """The jar folder, provisioning it once; (None, reason) when that is impossible."""
    lib = lib_dir()
    if (lib / f"flyway-commandline-{FLYWAY_VERSION}.jar").is_file():
        return lib, ""
    if not shutil.which("mvn") or not shutil.which("java"):
        return None, "mvn and java are needed to provision Flyway"
    work = lib.parent
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(_POM.format(v=FLYWAY_VERSION), encoding="utf-8")
    done = subprocess.run(
        ["mvn", "-q", "-B", "dependency:copy-dependencies", f"-DoutputDirectory={lib}"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        return None, f"mvn failed: {(done.stdout + done.stderr)[-500:]}"
    return lib, ""


def run(
    lib: Path,
    jdbc_url: str,
    user: str,
    password: str,
    locations: list[Path],
    *args: str,
    timeout: float = 300,
) -> dict[str, Any]:
    """Run Flyway with JSON output; returns the parsed document (with 'error' on failure)."""
    command = [
        "java",
        "-cp",
        f"{lib}/*",
        "org.flywaydb.commandline.Main",
        "-outputType=json",
        f"-url={jdbc_url}",
        f"-user={user}",
        f"-password={password}",
        "-locations=" + ",".join(f"filesystem:{p}" for p in locations),
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    try:
        document: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        document = {"error": {"message": (done.stdout + done.stderr)[-2000:]}}
    document["returncode"] = done.returncode
    return document


if __name__ == "__main__":
    found, why = provision()
    if found is None:
        print(why, file=sys.stderr)
        sys.exit(1)
    print(found)
