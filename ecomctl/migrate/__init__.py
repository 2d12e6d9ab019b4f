"""Flyway-compatible SQL migrations (``ecomctl migrate``), usable as a library.

from ecomctl.migrate import MigrateSettings, migrate, parse_url
migrate(settings=MigrateSettings(url=parse_url("postgresql://..."), locations=(Path("db"),)))
"""

from __future__ import annotations

from ecomctl.migrate.engine import ValidationFailed, baseline, clean, info, migrate, undo, validate
from ecomctl.migrate.executor import MigrationFailed
from ecomctl.migrate.repair import repair
from ecomctl.migrate.settings import MigrateSettings
from ecomctl.migrate.url import DatabaseUrl, parse_url, service_url

__all__ = [
    "DatabaseUrl",
    "MigrateSettings",
    "MigrationFailed",
    "ValidationFailed",
    "baseline",
    "clean",
    "info",
    "migrate",
    "parse_url",
    "repair",
    "service_url",
    "undo",
    "validate",
]
