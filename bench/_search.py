"""Shared by the search benchmarks: the running stack's gateway (with the workspace's
ADMIN for writes), and percentiles."""

from __future__ import annotations

from pathlib import Path

from _saga import percentile

from ecomctl.operations import target
from ecomctl.scenarios.client import Gateway
from ecomctl.scenarios.endpoints import for_workspace
from ecomctl.scenarios.live import WorkspaceAdmin

__all__ = ["gateway_with_admin", "percentile"]


def gateway_with_admin(workspace: Path) -> tuple[Gateway, str]:
    """The gateway's client and an ADMIN token (the workspace's admin, made if needed)."""
    tgt = target(workspace=workspace, stack_file=None, create=False)
    ends = for_workspace(tgt.stack, tgt.workspace)
    api = Gateway(ends.gateway)
    return api, api.login(*WorkspaceAdmin(tgt, ends.port_offset).credentials())
