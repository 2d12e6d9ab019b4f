"""Calls to user-auth and product-catalog through the kit's ServiceClient (registry
lookup with a static fallback, retries for GETs, a circuit breaker per upstream)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ecomkit.errors import UpstreamUnavailable
from ecomkit.http import ServiceClient
from ecomkit.problems import ServiceUnavailable

from order.service_layer.ports import ProductInfo, UserInfo

log = logging.getLogger(__name__)


async def _found(client: ServiceClient, path: str, authorization: str) -> Any:
    """The 200 response's JSON body, None for 404; UpstreamUnavailable for anything else."""
    try:
        response = await client.get(path, headers={"Authorization": authorization})
    except ServiceUnavailable as error:
        raise UpstreamUnavailable(client.name) from error
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        # 401/403: the caller's token was accepted here, so the secrets differ between
        # services (configuration), not the caller's fault.
        log.warning("%s answered %s for %s", client.name, response.status_code, path)
        raise UpstreamUnavailable(client.name)
    return response.json()


@dataclass
class HttpUserDirectory:
    """user-auth's GET /api/users/{id}, called with the buyer's own bearer token."""

    client: ServiceClient

    async def user(self, user_id: int, *, authorization: str) -> UserInfo | None:
        body = await _found(self.client, f"/api/users/{user_id}", authorization)
        return None if body is None else UserInfo(id=user_id, email=body.get("email"))


@dataclass
class HttpProductCatalog:
    """product-catalog's GET /api/products/{id}: the price is the catalog's, never the
    client's."""

    client: ServiceClient

    async def product(self, product_id: int, *, authorization: str) -> ProductInfo | None:
        body = await _found(self.client, f"/api/products/{product_id}", authorization)
        if body is None:
            return None
        try:
            price = Decimal(str(body["price"]))
        except (KeyError, InvalidOperation) as error:
            log.warning("product-catalog sent no usable price for %s: %r", product_id, body)
            raise UpstreamUnavailable("product-catalog") from error
        return ProductInfo(
            id=product_id,
            price=price,
            currency=str(body.get("currency") or "USD"),
            active=bool(body.get("active", True)),
        )
