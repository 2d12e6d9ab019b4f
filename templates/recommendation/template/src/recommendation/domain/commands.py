"""What the consumer and the API ask the service to do (imperative names); what they
ask to read is a view (service_layer/views.py).

OrderCreated, OrderPaid and ReviewAdded are handled as they arrive (their contracts are
the commands: service_layer.handlers.HANDLERS); stock needs the envelope's time beside
the event, so it has a command of its own."""

from __future__ import annotations

from datetime import datetime

from ecomkit.declarations import Command


class RecordStock(Command):
    """The product's available stock as of `at` (an older report changes nothing)."""

    product_id: int
    available: int
    at: datetime


class TrainModel(Command):
    pass
