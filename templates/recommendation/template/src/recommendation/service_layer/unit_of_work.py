"""One PostgreSQL transaction per command, or the one the kit's inbox opened for an event
(`PostgresUnitOfWork.joining`): the inbox row and the recorded interaction commit together,
so a redelivered event records nothing twice. The machinery is the kit's."""

from __future__ import annotations

from ecomkit import unit_of_work as kit
from ecomkit.contracts import Contract
from sqlalchemy.ext.asyncio import AsyncSession

from recommendation.adapters.repositories import PostgresInteractionRepository
from recommendation.service_layer.ports import InteractionRepository

SOURCE = "recommendation"


class UnitOfWork(kit.UnitOfWork[Contract]):
    interactions: InteractionRepository


class PostgresUnitOfWork(kit.SqlRepositories[Contract], UnitOfWork):
    source = SOURCE

    def bind(self, session: AsyncSession) -> None:
        self.interactions = PostgresInteractionRepository(session)
