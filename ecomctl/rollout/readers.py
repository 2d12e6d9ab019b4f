"""Can the serving color read the events the new one will publish?

Both colors consume in one consumer group while a release runs, and each reads what the
other writes. Each running instance says which contracts it loaded (`GET /contracts`, the
kit's), and `ecomctl events check`'s rules judge the difference: a field removed or
retyped, a new required field, a moved topic or key without a new `schema_version`, or a
new version the old readers cannot read, is refused before the new color takes traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ecomctl.contracts.compat import Problem, compatibility
from ecomctl.contracts.snapshot import Snapshot
from ecomctl.errors import EcomctlError
from ecomctl.rollout.routing import Endpoint

Fetch = Callable[[str], Any]  # an instance's base URL -> its /contracts JSON


def fetch_contracts(url: str) -> Any:
    answer = httpx.get(f"{url}/contracts", timeout=10)
    answer.raise_for_status()
    return answer.json()


def unreadable_events(
    serving: Endpoint, new: Endpoint, fetch: Fetch = fetch_contracts
) -> list[Problem] | str:
    """The breaking differences (empty: safe), or why they could not be known."""
    try:
        old_side = Snapshot.from_json(fetch(serving.url), source=f"{serving.instance_id}")
        new_side = Snapshot.from_json(fetch(new.url), source=f"{new.instance_id}")
    except (httpx.HTTPError, ValueError, EcomctlError) as error:
        return f"the event contracts could not be compared ({error})"
    return compatibility(old_side, new_side)
