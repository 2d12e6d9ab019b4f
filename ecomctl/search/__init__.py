"""Product search in a running stack: what `ecomctl search` reads (see docs/services/search.md)."""

from ecomctl.search.status import SearchStatus, search_status

__all__ = ["SearchStatus", "search_status"]
