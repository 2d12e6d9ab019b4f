"""Maps component names to their implementations.

Imports are lazy so that a command touching one component does not import
every client library.
"""

from __future__ import annotations

import importlib

from ecomctl.errors import UsageError
from ecomctl.infra.component import InfraComponent
from ecomctl.stack.model import INFRA_NAMES

_IMPLEMENTATIONS: dict[str, str] = {
    "kafka": "ecomctl.infra.components.kafka:KafkaComponent",
    "postgres": "ecomctl.infra.components.postgres:PostgresComponent",
    "mysql": "ecomctl.infra.components.mysql:MysqlComponent",
    "mongo": "ecomctl.infra.components.mongo:MongoComponent",
    "redis": "ecomctl.infra.components.redis:RedisComponent",
    "search": "ecomctl.infra.components.search:SearchComponent",
    "zipkin": "ecomctl.infra.components.zipkin:ZipkinComponent",
    "prometheus": "ecomctl.infra.components.prometheus:PrometheusComponent",
    "smtp": "ecomctl.infra.components.smtp:SmtpComponent",
    "stripe": "ecomctl.infra.components.stripe:StripeComponent",
}

assert tuple(_IMPLEMENTATIONS) == INFRA_NAMES


def get_component(name: str) -> InfraComponent:
    try:
        target = _IMPLEMENTATIONS[name]
    except KeyError:
        raise UsageError(f"unknown component {name!r}; known: {', '.join(INFRA_NAMES)}") from None
    module_name, class_name = target.split(":")
    component_class = getattr(importlib.import_module(module_name), class_name)
    component: InfraComponent = component_class()
    return component
