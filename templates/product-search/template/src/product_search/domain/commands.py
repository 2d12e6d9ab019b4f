"""Commands this service handles: one per event kind it indexes, plus the two searches."""

from __future__ import annotations

from dataclasses import dataclass

from product_search.domain.documents import IndexChange
from product_search.domain.search import SearchProducts, SuggestProducts


@dataclass(frozen=True)
class ApplyIndexChange:
    change: IndexChange


Command = ApplyIndexChange | SearchProducts | SuggestProducts
