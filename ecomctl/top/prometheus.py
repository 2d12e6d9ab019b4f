"""A small client of Prometheus' HTTP API: instant queries and the alerts firing."""

from __future__ import annotations

from typing import Any

import httpx

from ecomctl.errors import UserError

Vector = list[tuple[dict[str, str], float]]


class PrometheusClient:
    def __init__(self, base_url: str, *, client: httpx.Client | None = None) -> None:
        self.base_url = base_url
        self._http = client or httpx.Client(base_url=base_url, timeout=5)

    def close(self) -> None:
        self._http.close()

    def _get(self, path: str, **params: str) -> Any:
        try:
            answer = self._http.get(path, params=params)
        except httpx.HTTPError as error:
            raise UserError(
                f"Prometheus at {self.base_url} does not answer ({error}); is the stack up?",
                hint="ecomctl up, then ecomctl status",
            ) from error
        if answer.status_code != 200:
            raise UserError(
                f"Prometheus answered {answer.status_code} to {path}: {answer.text[:200]}"
            )
        return answer.json()["data"]

    def vector(self, promql: str) -> Vector:
        data = self._get("/api/v1/query", query=promql)
        return [(item["metric"], float(item["value"][1])) for item in data["result"]]

    def firing(self) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = self._get("/api/v1/alerts")["alerts"]
        return [a for a in alerts if a.get("state") == "firing"]
