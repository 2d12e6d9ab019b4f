"""What can go wrong beyond bad input (which pydantic reports in domain/search.py)."""

from __future__ import annotations


class SearchUnavailable(Exception):
    """OpenSearch did not answer (down, timing out, overloaded): 503, and events wait."""


class IndexRejected(Exception):
    """OpenSearch refused a document for good (a mapping conflict): the event goes to the DLQ."""
