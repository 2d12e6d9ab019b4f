"""Dead-letter topics: what landed in `<topic>.DLQ` and why, and replaying it.

The kit's consumers send an event to `<topic>.DLQ` after their retries with the headers
`dlq-error`, `dlq-attempts` and `dlq-original-topic`. Replay publishes the chosen messages
back onto the original topic, byte-identical minus those headers; consumers are idempotent
(their inbox), so replaying an event that was in fact handled has no second effect. The DLQ
itself is left as it is: it is the record of what failed.
"""

from __future__ import annotations

from ecomctl.dlq.core import DlqMessage, DlqTopic, ReplayResult, list_dead_letters, replay

__all__ = ["DlqMessage", "DlqTopic", "ReplayResult", "list_dead_letters", "replay"]
