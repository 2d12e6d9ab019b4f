"""Generating services from copier templates into a workspace, and keeping them up to date."""

from __future__ import annotations

from ecomctl.scaffold.generate import Generated, Updated, generate_service, update_service
from ecomctl.scaffold.project import (
    InitResult,
    add_service,
    ensure_generated,
    init_workspace,
    refresh_schemas,
    update_services,
)

__all__ = [
    "Generated",
    "InitResult",
    "Updated",
    "add_service",
    "ensure_generated",
    "generate_service",
    "init_workspace",
    "refresh_schemas",
    "update_service",
    "update_services",
]
