"""Calls from ecomctl to a running service's operator routes: which service of the stack
runs a template, and a request with a short ADMIN token for that service's audience,
signed with the workspace's key (ecomctl.keys.operator_token)."""

from __future__ import annotations

import httpx

from ecomctl.errors import UserError
from ecomctl.operations import Target


def enabled_service(tgt: Target, template: str) -> str:
    """The name of the stack's enabled service generated from `template`."""
    name = next((n for n, s in tgt.stack.services.items() if s.template == template), None)
    if name is None or not tgt.stack.services[name].enabled:
        raise UserError(
            f"this stack runs no {template} service",
            hint=f"enable it in ecomctl.yaml (services: {template}: enabled: true)",
        )
    return name


def call_as_operator(
    tgt: Target, name: str, method: str, path: str, *, timeout_s: float
) -> httpx.Response:
    """One request to service `name`; a service that does not answer is one line."""
    from ecomctl.keys import operator_token
    from ecomctl.runtime.services import JWT_ISSUER
    from ecomctl.scenarios.endpoints import for_workspace

    url = for_workspace(tgt.stack, tgt.workspace).service(name) + path
    token = operator_token(
        tgt.workspace, issuer=JWT_ISSUER, audience=name, ttl_s=60, roles=("ADMIN",)
    )
    try:
        return httpx.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s
        )
    except httpx.HTTPError as error:
        raise UserError(
            f"{name} does not answer at {url} ({error})", hint="`ecomctl status`"
        ) from None
