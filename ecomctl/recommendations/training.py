"""`ecomctl recommendations train`: the running service trains its model now.

The service is asked over HTTP (POST /api/admin/recommendations/train) with a short ADMIN
token for its own audience, signed with the workspace's key (ecomctl.keys.operator_token):
ecomctl does not read the service's tables nor train in its place.
"""

from __future__ import annotations

from typing import Any

from ecomctl.errors import UserError
from ecomctl.operations import Target
from ecomctl.service_calls import call_as_operator, enabled_service

TEMPLATE = "recommendation"
TRAIN_PATH = "/api/admin/recommendations/train"
TIMEOUT_S = 120.0  # training is seconds on a shop's data; generous for a loaded machine


def train_model(*, tgt: Target) -> dict[str, Any]:
    """The service's training report: interactions, users, products, seconds, trained_at."""
    name = enabled_service(tgt, TEMPLATE)
    answer = call_as_operator(tgt, name, "POST", TRAIN_PATH, timeout_s=TIMEOUT_S)
    if answer.status_code != 200:
        raise UserError(f"{name} refused to train: HTTP {answer.status_code} {answer.text[:200]}")
    report: dict[str, Any] = answer.json()
    return report
