"""A trace as a tree: Zipkin's v2 span list (`GET /api/v2/trace/{id}`) arranged by parentId.

Zipkin may hold a span twice (a client and a server half sharing an id, with B3 propagation)
and spans whose parent never arrived (a service that does not export, or spans still in a
batch): the tree keeps the first and shows the latter as extra roots, so a broken chain is
visible rather than hidden.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SpanNode:
    id: str
    parent_id: str | None
    service: str
    name: str
    kind: str  # SERVER, CLIENT, PRODUCER, CONSUMER or "" (internal)
    start_us: int
    duration_us: int
    error: str | None
    tags: dict[str, str]
    children: list[SpanNode] = field(default_factory=list)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, SpanNode]]:
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


@dataclass
class TraceTree:
    trace_id: str
    roots: list[SpanNode]
    spans: list[SpanNode]

    @property
    def start_us(self) -> int:
        return min((s.start_us for s in self.spans), default=0)

    @property
    def duration_us(self) -> int:
        end = max((s.start_us + s.duration_us for s in self.spans), default=0)
        return end - self.start_us

    @property
    def services(self) -> list[str]:
        return sorted({s.service for s in self.spans})

    @property
    def errors(self) -> list[SpanNode]:
        return [s for s in self.spans if s.error is not None]

    @property
    def orphans(self) -> list[SpanNode]:
        """Roots that name a parent: their parent span is missing from the trace."""
        return [r for r in self.roots if r.parent_id is not None]

    def offset_ms(self, span: SpanNode) -> float:
        return (span.start_us - self.start_us) / 1000

    def to_json(self) -> dict[str, Any]:
        return {
            "traceId": self.trace_id,
            "spanCount": len(self.spans),
            "durationMs": round(self.duration_us / 1000, 3),
            "services": self.services,
            "errors": len(self.errors),
            "orphans": len(self.orphans),
            "roots": [self._node_json(r) for r in self.roots],
        }

    def _node_json(self, span: SpanNode) -> dict[str, Any]:
        return {
            "id": span.id,
            "parentId": span.parent_id,
            "service": span.service,
            "name": span.name,
            "kind": span.kind or None,
            "startOffsetMs": round(self.offset_ms(span), 3),
            "durationMs": round(span.duration_us / 1000, 3),
            "error": span.error,
            "tags": span.tags,
            "children": [self._node_json(c) for c in span.children],
        }


def build_tree(spans: Sequence[Mapping[str, Any]]) -> TraceTree:
    """The tree of one trace; children in start order. Raises ValueError on an empty list."""
    if not spans:
        raise ValueError("a trace has at least one span")
    nodes: dict[str, SpanNode] = {}
    for raw in spans:
        node = _node(raw)
        nodes.setdefault(node.id, node)
    roots: list[SpanNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        if parent is None or parent is node:
            roots.append(node)
        else:
            parent.children.append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: (n.start_us, n.name))
    roots.sort(key=lambda n: (n.parent_id is not None, n.start_us))
    return TraceTree(str(spans[0]["traceId"]), roots, list(nodes.values()))


def _node(raw: Mapping[str, Any]) -> SpanNode:
    tags = {str(k): str(v) for k, v in (raw.get("tags") or {}).items()}
    endpoint = raw.get("localEndpoint") or {}
    return SpanNode(
        id=str(raw["id"]),
        parent_id=raw.get("parentId"),
        service=str(endpoint.get("serviceName") or "?"),
        name=str(raw.get("name") or ""),
        kind=str(raw.get("kind") or ""),
        start_us=int(raw.get("timestamp") or 0),
        duration_us=int(raw.get("duration") or 0),
        error=_error_of(tags),
        tags=tags,
    )


def _error_of(tags: Mapping[str, str]) -> str | None:
    """Zipkin's convention: an `error` tag (OpenTelemetry's exporter writes the status
    description there); an HTTP 5xx without it counts too."""
    if "error" in tags:
        return tags["error"] or "error"
    status = tags.get("http.response.status_code") or tags.get("http.status_code")
    if status and status.isdigit() and int(status) >= 500:
        return f"HTTP {status}"
    return None
