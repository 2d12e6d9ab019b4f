"""The command line: --json on every subcommand, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from migrate_support import write

from ecomctl.migrate import DatabaseUrl

pytestmark = pytest.mark.integration
SCRIPTS = {
    "V1__t.sql": "CREATE TABLE t (id INT);\n",
    "U1__t.sql": "DROP VIEW IF EXISTS v;\nDROP TABLE t;\n",
    "R__v.sql": "CREATE OR REPLACE VIEW v AS SELECT id FROM t;\n",
}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("ECOMCTL_CLEAN_ENABLED", None)
    return subprocess.run(
        [sys.executable, "-c", "from ecomctl.cli.app import main; main()", "migrate", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_every_subcommand_speaks_json(any_db: DatabaseUrl, tmp_path: Path) -> None:
    target = ["--url", str(any_db), "--locations", str(write(tmp_path, SCRIPTS)), "--json"]
    dry = cli("migrate", *target, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["dry_run"] is True
    done = cli(*target)  # the group's default is migrate
    assert [a["script"] for a in json.loads(done.stdout)["applied"]] == ["V1__t.sql", "R__v.sql"]
    shown = json.loads(cli("info", *target).stdout)
    assert [m["state"] for m in shown["migrations"]] == ["Success", "Success"]
    assert json.loads(cli("validate", *target).stdout)["ok"] is True
    repaired = cli("repair", *target)
    assert repaired.returncode == 0 and repaired.stdout, (repaired.stdout, repaired.stderr)
    assert json.loads(repaired.stdout)["removed_failed"] == 0
    undone = json.loads(cli("undo", *target).stdout)
    assert [u["type"] for u in undone["undone"]] == ["UNDO_SQL"]
    refused = cli("clean", *target)
    assert refused.returncode == 1 and "clean is disabled" in refused.stderr
    cleaned = cli("clean", *target, "--clean-enabled")
    assert cleaned.returncode == 0 and json.loads(cleaned.stdout)["dropped"]
    based = json.loads(cli("baseline", *target, "--baseline-version", "7").stdout)
    assert based["version"] == "7"


def test_info_table_and_errors(any_db: DatabaseUrl, tmp_path: Path) -> None:
    folder = write(tmp_path, SCRIPTS)
    table = cli("info", "--url", str(any_db), "--locations", str(folder))
    assert table.returncode == 0 and "Pending" in table.stdout and "Category" in table.stdout
    bad = cli("--url", str(any_db))
    assert bad.returncode == 2 and "--locations" in bad.stderr
    write(folder, {"V2__broken.sql": "SELECT * FROM nowhere;"})
    failed = cli("--url", str(any_db), "--locations", str(folder))
    assert failed.returncode == 1
    assert "V2__broken.sql" in failed.stderr and "nowhere" in failed.stderr
    assert "Traceback" not in failed.stderr
