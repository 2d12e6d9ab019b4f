"""What the consumer and the API ask the service to do (imperative names); what they
ask to read is a view (service_layer/views.py).

OrderCreated, OrderPaid and ReviewAdded are handled as they arrive (their contracts are
the commands: service_layer.handlers.HANDLERS); stock needs the envelope's time beside
the event, so it has a command of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RecordStock:
    """The product's available stock as of `at` (an older report changes nothing)."""

    product_id: int
    available: int
    at: datetime


@dataclass(frozen=True)
class TrainModel:
    pass
