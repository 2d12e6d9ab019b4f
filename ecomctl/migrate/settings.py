"""Everything one run of the engine is configured with (Flyway's names in comments)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ecomctl.migrate.history import BASELINE_DESCRIPTION, DEFAULT_TABLE
from ecomctl.migrate.placeholders import DEFAULT_PREFIX, DEFAULT_SUFFIX
from ecomctl.migrate.url import DatabaseUrl

CLEAN_ENV = "ECOMCTL_CLEAN_ENABLED"


def clean_enabled_from_env() -> bool:
    return os.environ.get(CLEAN_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class MigrateSettings:
    url: DatabaseUrl
    locations: tuple[Path, ...]
    table: str = DEFAULT_TABLE  # flyway.table
    schema: str | None = None  # flyway.defaultSchema (PostgreSQL); MySQL uses the database
    target: str | None = None  # flyway.target: a version, "latest" or "current"
    out_of_order: bool = False  # flyway.outOfOrder
    baseline_on_migrate: bool = False  # flyway.baselineOnMigrate
    baseline_version: str = "1"  # flyway.baselineVersion
    baseline_description: str = BASELINE_DESCRIPTION  # flyway.baselineDescription
    placeholders: Mapping[str, str] = field(default_factory=dict)  # flyway.placeholders.*
    placeholder_prefix: str = DEFAULT_PREFIX
    placeholder_suffix: str = DEFAULT_SUFFIX
    placeholder_replacement: bool = True
    clean_enabled: bool = False  # the opposite of flyway.cleanDisabled (default true)
    installed_by: str | None = None  # flyway.installedBy; default: the database user
    ignore_migration_patterns: tuple[str, ...] = ("*:future",)
    validate_on_migrate: bool = True
    lock_timeout_s: float = 600.0
    encoding: str = "utf-8"
