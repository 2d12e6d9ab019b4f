"""`GET /`: the registry as a page a person can read (services, instances, last beat)."""

from __future__ import annotations

import time
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from registry.domain.model import ServiceRegistry

router = APIRouter(include_in_schema=False)

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}th{background:#eee}"
)


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    registry: ServiceRegistry = request.app.state.service_registry
    return HTMLResponse(render(registry))


def render(registry: ServiceRegistry) -> str:
    now = registry.clock()
    rows = []
    for service, records in registry.services().items():
        for record in records:
            ago = now - record.last_heartbeat
            rows.append(
                "<tr>"
                f"<td>{escape(service)}</td><td>{escape(record.instance_id)}</td>"
                f'<td><a href="{escape(record.url)}">{escape(record.url)}</a></td>'
                f"<td>{record.weight}</td><td>{escape(record.status)}</td>"
                f"<td>{ago:.0f} s ago</td>"
                "</tr>"
            )
    table = (
        "<table><tr><th>service</th><th>instance</th><th>url</th><th>weight</th>"
        "<th>status</th><th>last heartbeat</th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p>No instances are registered.</p>"
    )
    count = len(registry.services())
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Service registry</title>"
        f"<style>{STYLE}</style></head><body><h1>Service registry</h1>"
        f"<p>{count} service(s); instances silent for {registry.evict_after_s:.0f} s "
        f"are evicted. As of {stamp}.</p>{table}</body></html>"
    )
