"""Steps the docker runtime runs from the host between healthy infra and starting services.

ecomctl is not inside the service images, and a one-shot migrate container
would need a second image, so `up` works like this instead:

1. `docker compose up --wait` the infrastructure the services use;
2. from the host, through the ports compose publishes on 127.0.0.1: create the
   stack's Kafka topics (the broker refuses to auto-create them), and apply each
   service's SQL migrations with ecomctl's Flyway-compatible engine, exactly
   like `ecomctl migrate --service NAME`;
3. `docker compose up --wait` the services.

`HostPreparer` is the seam: unit tests hand the runtime a recording fake.
"""

from __future__ import annotations

import abc

from ecomctl.stack.model import Stack
from ecomctl.workspace import Workspace

SQL_INFRA = ("mysql", "postgres")


def needs_migrations(stack: Stack, service: str) -> bool:
    spec = stack.services[service]
    return bool(spec.database) and any(use in SQL_INFRA for use in spec.uses)


def database_of(stack: Stack, service: str) -> str:
    """The SQL component holding `service`'s database (see `needs_migrations`)."""
    return next(use for use in stack.services[service].uses if use in SQL_INFRA)


class HostPreparer(abc.ABC):
    @abc.abstractmethod
    def create_topics(self, stack: Stack, workspace: Workspace, *, port_offset: int) -> list[str]:
        """Create the stack's missing topics on the published Kafka port; returns those created."""

    @abc.abstractmethod
    def migrate(
        self, stack: Stack, workspace: Workspace, service: str, *, port_offset: int
    ) -> list[str]:
        """Apply `service`'s pending migrations on the published database port; returns them."""


class PublishedPortPreparer(HostPreparer):
    """The real steps, through 127.0.0.1 and the published ports."""

    def create_topics(self, stack: Stack, workspace: Workspace, *, port_offset: int) -> list[str]:
        from ecomctl.infra.components.kafka import admin_client, ensure_topics, wanted_topics
        from ecomctl.runtime.plan import context_for

        ctx = context_for("kafka", stack, workspace, port_offset=port_offset, installation=None)
        return ensure_topics(admin_client(ctx), wanted_topics(ctx))

    def migrate(
        self, stack: Stack, workspace: Workspace, service: str, *, port_offset: int
    ) -> list[str]:
        from ecomctl.migrate import MigrateSettings, migrate, service_url
        from ecomctl.migrate.locations import service_locations

        url = service_url(stack, service, port_offset=port_offset)
        locations = service_locations(service, workspace_root=workspace.root)
        result = migrate(settings=MigrateSettings(url=url, locations=locations))
        return [applied.version or applied.script for applied in result.applied]
