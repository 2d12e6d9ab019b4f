"""JSON-lines logs with the service name, correlation id and trace id on every line."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

from ecomkit.context import correlation_id_var
from ecomkit.tracing import current_trace_id

FORMAT = "%(time)s %(levelname)s %(name)s %(message)s"


class ContextFilter(logging.Filter):
    def __init__(self, service_name: str) -> None:
        super().__init__()
        self.service_name = service_name

    def filter(self, record: logging.LogRecord) -> bool:
        record.time = datetime.fromtimestamp(record.created, UTC).isoformat()
        record.service = self.service_name
        record.correlation_id = correlation_id_var.get()
        record.trace_id = current_trace_id()
        return True


def configure_logging(service_name: str, level: str = "INFO") -> None:
    """Replace the root handlers with one JSON handler on stdout (uvicorn's loggers too)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            FORMAT,
            rename_fields={"levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(ContextFilter(service_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Kafka clients log every reconnect at INFO/ERROR; warnings are enough for operators.
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
    # HTTP clients that log every request at INFO (httpx; stripe-python twice per call):
    # a JSON line per call that the traces already tell, and that costs the caller CPU.
    for name in ("httpx", "stripe"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
