"""The trained model the service answers from: one per process, replaced whole by training
(a request sees the old model or the new one, never half of each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from recommendation.domain.similarity import ItemSimilarity


@dataclass
class CurrentModel:
    model: ItemSimilarity = field(default_factory=ItemSimilarity)
    trained_at: datetime | None = None

    def replace(self, model: ItemSimilarity, trained_at: datetime) -> None:
        self.model, self.trained_at = model, trained_at
