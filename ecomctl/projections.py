"""`ecomctl projections`: the order service's read models, shown and rebuilt.

The running order service is asked over HTTP (GET /admin/projections, POST
/admin/projections/{name}/rebuild) with a short ADMIN token for its own audience, signed
with the workspace's key (ecomctl.keys.operator_token): ecomctl does not read or write
the service's tables itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from ecomctl.errors import UserError
from ecomctl.operations import Target
from ecomctl.service_calls import call_as_operator, enabled_service

TEMPLATE = "order"
STATUS_PATH = "/admin/projections"
TIMEOUT_S = 30.0
POLL_S = 1.0
REBUILD_TIMEOUT_S = 1800.0  # a rebuild reads the whole log; minutes on a large shop


def _call(tgt: Target, method: str, path: str) -> httpx.Response:
    name = enabled_service(tgt, TEMPLATE)
    return call_as_operator(tgt, name, method, path, timeout_s=TIMEOUT_S)


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail") or answer.text[:200])
    except ValueError:
        return answer.text[:200]


def projection_status(*, tgt: Target) -> list[dict[str, Any]]:
    """Each projection: `name`, `current` (the serving generation) and `generations`, each
    with `generation`, `state` (serving, building, retired), `position`, `lag_events`,
    `lag_seconds`, `updated_at`."""
    answer = _call(tgt, "GET", STATUS_PATH)
    if answer.status_code != 200:
        raise UserError(f"projections status: HTTP {answer.status_code} {_detail(answer)}")
    found: list[dict[str, Any]] = answer.json()
    return found


def rebuild_projection(
    *,
    tgt: Target,
    name: str,
    progress: Callable[[str], None] = lambda _: None,
    poll_s: float = POLL_S,
    timeout_s: float = REBUILD_TIMEOUT_S,
) -> dict[str, Any]:
    """Start a rebuild and follow it until its generation serves: `name`, `generation`,
    `previous` (the generation it replaced, when seen serving), `position` and `lag_events`
    of the new generation when it switched, `seconds`."""
    started = time.monotonic()
    answer = _call(tgt, "POST", f"{STATUS_PATH}/{name}/rebuild")
    if answer.status_code in (404, 409):
        raise UserError(_detail(answer))
    if answer.status_code != 202:
        raise UserError(f"rebuild of {name}: HTTP {answer.status_code} {_detail(answer)}")
    generation = int(answer.json()["generation"])
    progress(f"{name}: building generation {generation} beside the serving one")
    previous: int | None = None
    while True:
        mine = next(p for p in projection_status(tgt=tgt) if p["name"] == name)
        previous = previous if previous is not None else mine["current"]
        built = next((g for g in mine["generations"] if g["generation"] == generation), None)
        if mine["current"] == generation and built is not None:
            return {
                "name": name,
                "generation": generation,
                "previous": previous if previous != generation else None,
                "position": built["position"],
                "lag_events": built["lag_events"],
                "seconds": round(time.monotonic() - started, 1),
            }
        if built is None:
            raise UserError(f"generation {generation} of {name} is gone (another rebuild?)")
        progress(f"{name}: generation {generation} at position {built['position']}, "
                 f"{built['lag_events']} events to go")  # fmt: skip
        if time.monotonic() - started > timeout_s:
            raise UserError(f"generation {generation} of {name} has not caught up in "
                            f"{timeout_s:.0f} s; it keeps building in the service")  # fmt: skip
        time.sleep(poll_s)
