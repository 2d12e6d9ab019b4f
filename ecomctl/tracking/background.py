"""An order followed on a thread of its own: what the scenarios' `watch` step starts."""

from __future__ import annotations

import threading

from websockets.exceptions import WebSocketException

from ecomctl.errors import EcomctlError
from ecomctl.tracking.follow import follow_order


class FollowedInBackground:
    """Steps as they arrive; a refusal or a lost connection is kept as `error`."""

    def __init__(self, gateway_url: str, token: str, order_id: int) -> None:
        self._steps: list[str] = []
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self.error: str | None = None
        self._thread = threading.Thread(
            target=self._run, args=(gateway_url, token, order_id), daemon=True
        )
        self._thread.start()

    def _run(self, gateway_url: str, token: str, order_id: int) -> None:
        try:
            for step in follow_order(
                gateway_url=gateway_url, order_id=order_id, token=token, stop=self._closed
            ):
                with self._lock:
                    self._steps.append(step.step)
        except (EcomctlError, WebSocketException, OSError) as exc:
            self.error = str(exc)

    def steps(self) -> list[str]:
        with self._lock:
            found = list(self._steps)
        return [*found, f"error: {self.error}"] if self.error else found

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)


class GatewayTracking:
    """The scenarios' Tracking port on the gateway's /ws/orders/{id}."""

    def __init__(self, gateway_url: str) -> None:
        self.gateway_url = gateway_url

    def follow(self, token: str, order_id: int) -> FollowedInBackground:
        return FollowedInBackground(self.gateway_url, token, order_id)
