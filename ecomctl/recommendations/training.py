"""`ecomctl recommendations train`: the running service trains its model now.

The service is asked over HTTP (POST /api/admin/recommendations/train) with a short ADMIN
token for its own audience, signed with the workspace's key (ecomctl.keys.operator_token):
ecomctl does not read the service's tables nor train in its place.
"""

from __future__ import annotations

from typing import Any

import httpx

from ecomctl.errors import UserError
from ecomctl.operations import Target

TEMPLATE = "recommendation"
TRAIN_PATH = "/api/admin/recommendations/train"
TIMEOUT_S = 120.0  # training is seconds on a shop's data; generous for a loaded machine


def recommendation_service(tgt: Target) -> str:
    name = next((n for n, s in tgt.stack.services.items() if s.template == TEMPLATE), None)
    if name is None or not tgt.stack.services[name].enabled:
        raise UserError(
            "this stack runs no recommendation service",
            hint="enable it in ecomctl.yaml (services: recommendation: enabled: true)",
        )
    return name


def train_model(*, tgt: Target) -> dict[str, Any]:
    """The service's training report: interactions, users, products, seconds, trained_at."""
    from ecomctl.keys import operator_token
    from ecomctl.runtime.services import JWT_ISSUER
    from ecomctl.scenarios.endpoints import for_workspace

    name = recommendation_service(tgt)
    url = for_workspace(tgt.stack, tgt.workspace).service(name) + TRAIN_PATH
    token = operator_token(
        tgt.workspace, issuer=JWT_ISSUER, audience=name, ttl_s=60, roles=("ADMIN",)
    )
    try:
        answer = httpx.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)
    except httpx.HTTPError as error:
        raise UserError(
            f"{name} does not answer at {url} ({error})", hint="`ecomctl status`"
        ) from None
    if answer.status_code != 200:
        raise UserError(f"{name} refused to train: HTTP {answer.status_code} {answer.text[:200]}")
    report: dict[str, Any] = answer.json()
    return report
