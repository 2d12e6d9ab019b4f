"""`ecomctl traffic status`: every releasable service's colors, shares and live figures."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from ecomctl.operations import Target
from ecomctl.rollout import state as rollout_state
from ecomctl.rollout.figures import Snapshot, figures, parse_metrics
from ecomctl.rollout.release import endpoints_by_service
from ecomctl.rollout.routing import Endpoint, share_of


def overview(tgt: Target, *, window_s: float) -> list[dict[str, Any]]:
    by_service = endpoints_by_service(tgt)
    everyone = [e for endpoints in by_service.values() for e in endpoints]
    measured = _measure(everyone, window_s) if window_s > 0 else {}
    rows: list[dict[str, Any]] = []
    for service, endpoints in by_service.items():
        rollout = rollout_state.load(tgt.workspace, service)
        colors = sorted({e.color for e in endpoints})
        for color in colors or ["-"]:
            group = [e for e in endpoints if e.color == color]
            row: dict[str, Any] = {
                "service": service,
                "color": color,
                "instances": len(group),
                "share": share_of(endpoints, color),
                "version": ", ".join(sorted({e.version for e in group})) or "-",
                "release": _release_text(rollout, color),
            }
            total = Snapshot.empty()
            seen = False
            for endpoint in group:
                if endpoint.instance_id in measured:
                    total = total + measured[endpoint.instance_id]
                    seen = True
            if seen:
                numbers = figures(total, window_s).to_dict()
                row.update({k: numbers.get(k) for k in ("rps", "p95_ms", "error_pct")})
            rows.append(row)
        if rollout is not None and rollout.effective_phase() == "interrupted":
            rows[-1]["hint"] = (
                f"the switch was interrupted with {rollout.canary} at {rollout.weight}%: "
                f"`ecomctl switch {service}` resumes, `ecomctl rollback {service}` aborts"
            )
    return rows


def _release_text(rollout: rollout_state.Rollout | None, color: str) -> str:
    if rollout is None or color != rollout.canary or not rollout.open:
        return ""
    phase = rollout.effective_phase()
    step = f" (step {rollout.step_index}/{len(rollout.steps)})" if rollout.steps else ""
    return f"{phase} at {rollout.weight}%{step}"


def _measure(endpoints: list[Endpoint], window_s: float) -> dict[str, Snapshot]:
    """Each instance's figures over one window shared by all of them."""
    with httpx.Client(timeout=2.0) as http, ThreadPoolExecutor(max_workers=8) as pool:

        def scrape(endpoint: Endpoint) -> Snapshot | None:
            try:
                response = http.get(f"{endpoint.url}/metrics")
                response.raise_for_status()
                return parse_metrics(response.text)
            except (httpx.HTTPError, ValueError):
                return None

        before = list(pool.map(scrape, endpoints))
        time.sleep(window_s)
        after = list(pool.map(scrape, endpoints))
    return {
        e.instance_id: then - first
        for e, first, then in zip(endpoints, before, after, strict=True)
        if first is not None and then is not None
    }
