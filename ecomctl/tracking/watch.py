"""What `ecomctl watch` needs from the workspace: the gateway's address and a token."""

from __future__ import annotations

from collections.abc import Iterator

from ecomctl.keys import operator_token
from ecomctl.operations import Target
from ecomctl.tracking.follow import Step, follow_order

OPERATOR_TOKEN_TTL_S = 3600


def watch_order(
    *,
    tgt: Target,
    order_id: int,
    token: str | None = None,
    last_event: int = 0,
    until: frozenset[str] = frozenset(),
    timeout_s: float | None = None,
) -> Iterator[Step]:
    """Follow an order through the workspace's gateway; without `token`, as the operator
    (an ADMIN token signed with the workspace's key, which may follow any order)."""
    from ecomctl.runtime.services import JWT_AUDIENCE, JWT_ISSUER
    from ecomctl.scenarios.endpoints import for_workspace

    ends = for_workspace(tgt.stack, tgt.workspace)
    if token is None:
        token = operator_token(
            tgt.workspace,
            issuer=JWT_ISSUER,
            audience=JWT_AUDIENCE,
            ttl_s=OPERATOR_TOKEN_TTL_S,
            roles=("ADMIN",),
        )
    return follow_order(
        gateway_url=ends.gateway,
        order_id=order_id,
        token=token,
        last_event=last_event,
        until=until,
        timeout_s=timeout_s,
    )
