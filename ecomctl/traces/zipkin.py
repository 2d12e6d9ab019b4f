"""Zipkin's v2 read API: one trace by id."""

from __future__ import annotations

from typing import Any

import httpx

from ecomctl.errors import UserError

TIMEOUT_S = 5.0


class ZipkinUnavailable(UserError):
    pass


class ZipkinClient:
    def __init__(self, base_url: str, *, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=TIMEOUT_S)

    def close(self) -> None:
        self._client.close()

    def ui_url(self, trace_id: str) -> str:
        return f"{self.base_url}/zipkin/traces/{trace_id}"

    def trace(self, trace_id: str) -> list[dict[str, Any]]:
        """The trace's spans; [] while Zipkin has none of them (404)."""
        url = f"{self.base_url}/api/v2/trace/{trace_id}"
        try:
            response = self._client.get(url)
        except httpx.TransportError as error:
            raise ZipkinUnavailable(
                f"Zipkin is not answering at {self.base_url} ({type(error).__name__})",
                hint="start it with `ecomctl up --only zipkin` (it is part of the stack)",
            ) from error
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise ZipkinUnavailable(
                f"Zipkin answered {response.status_code} for trace {trace_id}: "
                f"{response.text[:200]}"
            )
        spans: list[dict[str, Any]] = response.json()
        return spans
