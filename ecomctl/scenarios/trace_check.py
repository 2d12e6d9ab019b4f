"""The check every scenario adds when its stack runs Zipkin: each order is ONE trace.

An order's trace (the id the order service recorded) is read from Zipkin once its last span
is older than the exporters' batch delay, and must have one root and every parent present;
its error spans must be exactly those the scenario names (`expect.trace.error_spans`: the
declined card's Stripe call), none in a happy path. The check's answer carries the trace id
and the Zipkin URL, so a failed scenario links straight to the trace to open.
"""

from __future__ import annotations

import time
from typing import Any

from ecomctl.errors import EcomctlError
from ecomctl.scenarios.model import TraceExpect
from ecomctl.scenarios.result import CheckResult
from ecomctl.scenarios.world import World
from ecomctl.traces.lookup import EXPORT_DELAY_S, last_end_s
from ecomctl.traces.tree import build_tree


def trace_states(world: World, orders: dict[str, Any]) -> dict[str, Any]:
    """Per order (by its scenario name): what its trace in Zipkin looks like right now."""
    traces = world.adapters.traces
    if traces is None:
        return {}
    found: dict[str, Any] = {}
    for name, order in orders.items():
        trace_id = order.get("trace_id") if isinstance(order, dict) else None
        if not trace_id:
            found[name] = {"error": "the order service recorded no trace id"}
            continue
        try:
            found[name] = _trace_state(traces.trace(str(trace_id)), str(trace_id))
        except EcomctlError as error:
            found[name] = {"traceId": trace_id, "error": str(error)}
        found[name]["url"] = traces.ui_url(str(trace_id))
    return found


def _trace_state(spans: list[dict[str, Any]], trace_id: str) -> dict[str, Any]:
    if not spans:
        return {"traceId": trace_id, "complete": False, "spans": 0}
    tree = build_tree(spans)
    return {
        "traceId": trace_id,
        "complete": time.time() - last_end_s(spans) >= EXPORT_DELAY_S,
        "spans": len(tree.spans),
        "traceIds": len({s.get("traceId") for s in spans}),
        "roots": len(tree.roots),
        "orphans": len(tree.orphans),
        "services": tree.services,
        "errorSpans": sorted({s.name for s in tree.errors}),
    }


def trace_checks(expect: TraceExpect, state: dict[str, Any]) -> list[CheckResult]:
    if not expect.check:
        return []
    wanted = "one trace, " + (
        f"error spans: {', '.join(sorted(expect.error_spans))}"
        if expect.error_spans
        else "no error spans"
    )
    return [
        CheckResult(f"trace of {name}", _holds(expect, found), wanted, _described(found))
        for name, found in sorted(state.get("traces", {}).items())
    ]


def _holds(expect: TraceExpect, found: dict[str, Any]) -> bool:
    return (
        "error" not in found
        and found.get("complete") is True
        and found.get("traceIds") == 1
        and found.get("roots") == 1
        and found.get("orphans") == 0
        and len(found.get("services", [])) >= expect.services_min
        and set(found.get("errorSpans", [])) == set(expect.error_spans)
    )


def _described(found: dict[str, Any]) -> str:
    where = f"{found.get('traceId', '?')} {found.get('url', '')}".strip()
    if "error" in found:
        return f"{found['error']} ({where})"
    if not found.get("complete"):
        return f"waiting for its spans ({found.get('spans', 0)} so far): {where}"
    errors = found["errorSpans"]
    parts = [
        f"{found['traceIds']} trace" + ("s" if found["traceIds"] != 1 else ""),
        f"{len(found['services'])} services",
        f"{len(errors)} error spans" + (f" ({', '.join(errors)})" if errors else ""),
    ]
    if found["roots"] != 1 or found["orphans"]:
        parts.append(f"{found['roots']} roots, {found['orphans']} missing parents")
    return f"{', '.join(parts)}: {where}"
