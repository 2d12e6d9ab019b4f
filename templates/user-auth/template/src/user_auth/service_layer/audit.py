"""The audit log: what happened to accounts and sessions, where a security team looks for
reuse attacks. user-auth publishes nothing to Kafka (DESIGN 4); its events are these lines,
one record each, named in the past tense, its fields in the record's `event`."""

from __future__ import annotations

import logging

log = logging.getLogger("user_auth.audit")


def audit(event: str, **fields: object) -> None:
    log.info("%s", event, extra={"event": fields})
