"""Expand/contract phases and every-service runs, without a database (fakes injected)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecomctl.errors import ExitCode, UsageError, UserError
from ecomctl.migrate import parse_url
from ecomctl.migrate.checksum import checksum_text
from ecomctl.migrate.engine import PendingScript
from ecomctl.migrate.fleet import (
    ServiceDatabase,
    ServicesFailed,
    info_services,
    migratable_services,
    migrate_services,
)
from ecomctl.migrate.naming import parse_name
from ecomctl.migrate.phases import ExpandRefused, Phase, is_contract, split_expand
from ecomctl.migrate.resolver import ResolvedScript
from ecomctl.migrate.results import AppliedMigration, InfoResult, MigrateResult, MigrationInfo
from ecomctl.migrate.settings import MigrateSettings
from ecomctl.stack.loader import load_stack


def pending(name: str, text: str) -> PendingScript:
    parsed = parse_name(name)
    assert parsed is not None
    return PendingScript(ResolvedScript(parsed, Path(name), text, checksum_text(text)), text)


@pytest.mark.parametrize(
    "text",
    [
        "-- ecomctl:contract\nALTER TABLE t DROP COLUMN x;\n",
        "ALTER TABLE t DROP COLUMN x;\n  --   ECOMCTL:contract  \n",
        "-- ecomctl:contract\r\nDROP TABLE t;\r\n",
    ],
)
def test_the_marker_line_makes_a_contract_script(text: str) -> None:
    assert is_contract(text)


@pytest.mark.parametrize(
    "text",
    [
        "DROP TABLE t; -- ecomctl:contract\n",  # not a line of its own
        "-- ecomctl:contract later\n",
        "-- ecomctl:expand\n",
        "SELECT 1;\n",
    ],
)
def test_anything_else_is_an_expand_script(text: str) -> None:
    assert not is_contract(text)


def test_expand_stops_before_the_first_contract_script() -> None:
    scripts = [
        pending("V2__add_region.sql", "ALTER TABLE t ADD COLUMN region TEXT;\n"),
        pending("V3__drop_old.sql", "-- ecomctl:contract\nALTER TABLE t DROP COLUMN old;\n"),
        pending("V4__add_index.sql", "CREATE INDEX i ON t (region);\n"),
    ]
    plan = split_expand(scripts, dialect="postgresql")
    assert [p.script.script for p in plan.expand] == ["V2__add_region.sql"]
    assert [p.script.script for p in plan.held_back] == ["V3__drop_old.sql", "V4__add_index.sql"]
    assert plan.findings == []


def test_a_destructive_expand_script_is_named_with_its_line() -> None:
    scripts = [
        pending("V2__add.sql", "CREATE TABLE a (id INT);\n"),
        pending("V3__oops.sql", "CREATE TABLE b (id INT);\n\nRENAME TABLE a TO c;\n"),
    ]
    plan = split_expand(scripts, dialect="mysql")
    assert [str(f) for f in plan.findings] == ["V3__oops.sql:3: RENAME TABLE (RENAME TABLE a TO c)"]
    refused = ExpandRefused(plan.findings)
    assert "\n" not in str(refused)
    assert str(refused).startswith("expand phase refused, nothing applied: V3__oops.sql:3: RENAME")
    assert refused.hint and "-- ecomctl:contract" in refused.hint


@given(
    kinds=st.lists(st.sampled_from(["expand", "destructive", "contract"]), max_size=8),
)
def test_expand_is_the_prefix_before_the_first_contract(kinds: list[str]) -> None:
    texts = {
        "expand": "CREATE TABLE x{n} (id INT);\n",
        "destructive": "DROP TABLE x{n};\n",
        "contract": "-- ecomctl:contract\nDROP TABLE x{n};\n",
    }
    scripts = [pending(f"V{n + 1}__s.sql", texts[k].format(n=n)) for n, k in enumerate(kinds)]
    plan = split_expand(scripts, dialect="postgresql")
    cut = kinds.index("contract") if "contract" in kinds else len(kinds)
    assert len(plan.expand) == cut and plan.expand + plan.held_back == scripts
    assert len(plan.findings) == kinds[:cut].count("destructive")


# ---- every service -----------------------------------------------------------------------
def target(service: str) -> ServiceDatabase:
    url = parse_url(f"postgresql://u@127.0.0.1/{service.replace('-', '_')}")
    return ServiceDatabase(service, MigrateSettings(url=url, locations=(Path("."),)))


def test_services_run_in_order_and_stop_at_the_first_failure() -> None:
    calls: list[str] = []

    def apply(*, settings: MigrateSettings, **options: Any) -> MigrateResult:
        calls.append(settings.url.database)
        if settings.url.database == "order":
            raise UserError("cannot connect", hint="is it up?")
        applied = [AppliedMigration("2", "x", "V2__x.sql", "SQL", 1, 1)]
        return MigrateResult(settings.url.redacted(), "public", "1", "2", applied)

    targets = [target(s) for s in ("user-auth", "order", "payment")]
    with pytest.raises(ServicesFailed) as stopped:
        migrate_services(targets=targets, phase=Phase.EXPAND, apply=apply)
    assert calls == ["user_auth", "order"]
    result = stopped.value.result
    assert [(s.service, s.status) for s in result.services] == [
        ("user-auth", "1 applied"),
        ("order", "failed"),
        ("payment", "not attempted"),
    ]
    assert result.services[0].applied == ["2"] and result.phase == "expand" and not result.ok
    message = str(stopped.value)
    assert message == "migrate stopped at service order: cannot connect; not attempted: payment"
    assert stopped.value.hint == "is it up?" and stopped.value.exit_code == ExitCode.FAILED


def test_a_usage_error_keeps_its_exit_code() -> None:
    def apply(**options: Any) -> MigrateResult:
        raise UsageError("bad placeholder")

    with pytest.raises(ServicesFailed) as stopped:
        migrate_services(targets=[target("order")], apply=apply)
    assert stopped.value.exit_code == ExitCode.USAGE


def test_held_back_scripts_show_in_the_status() -> None:
    def apply(*, settings: MigrateSettings, **options: Any) -> MigrateResult:
        return MigrateResult("db", "s", "3", "3", [], phase="expand", held_back=["V4__c.sql"])

    (outcome,) = migrate_services(targets=[target("order")], apply=apply).services
    assert (outcome.status, outcome.pending) == ("up to date, 1 held back for contract", 1)


def test_info_counts_applied_and_pending() -> None:
    def info(*, settings: MigrateSettings) -> InfoResult:
        states = ["Success", "Success", "Pending", "Baseline"]
        rows = [
            MigrationInfo("Versioned", str(n), "d", "SQL", f"V{n}", s) for n, s in enumerate(states)
        ]
        return InfoResult(settings.url.redacted(), "public", "t", "2", rows)

    result = info_services(targets=[target("order"), target("payment")], read=info)
    assert result.ok and result.command == "info"
    assert [(s.applied_total, s.pending, s.status) for s in result.services] == [
        (3, 1, "1 pending"),
        (3, 1, "1 pending"),
    ]


def test_no_service_with_a_database_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no service of this workspace"):
        migrate_services(targets=[])


def test_the_default_stack_s_databases_in_start_order() -> None:
    stack = load_stack(None)
    names = migratable_services(stack, workspace_root=None)
    assert names == ["user-auth", "product-catalog", "order", "payment", "inventory"]
