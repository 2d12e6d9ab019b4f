"""Waiting for a component to answer a real protocol round trip.

Shared by `up`, `status` and the test fixtures, so "ready" means the same
thing everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ComponentContext, InfraComponent
from ecomctl.runtime.local.processes import ProcessRecord

PROBE_TIMEOUT_S = 5.0


def ready_timeout(component: InfraComponent, ctx: ComponentContext) -> float:
    return ctx.spec.ready_timeout_s or component.ready_timeout_s


def probe(
    component: InfraComponent, ctx: ComponentContext, timeout_s: float = PROBE_TIMEOUT_S
) -> tuple[bool, str]:
    """One readiness check bounded in time: (ready, why not)."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(component.check_ready, ctx)
    try:
        future.result(timeout=timeout_s)
        return True, ""
    except FutureTimeout:
        return False, f"no answer within {timeout_s:.0f}s"
    except Exception as exc:  # any client error means "not ready yet"
        return False, _one_line(exc)
    finally:
        pool.shutdown(wait=False)


def wait_ready(
    component: InfraComponent,
    ctx: ComponentContext,
    record: ProcessRecord,
    *,
    log_tail: Callable[[], str],
) -> None:
    """Poll until ready; fail fast if the process dies, with the end of its log."""
    deadline = time.monotonic() + ready_timeout(component, ctx)
    delay = 0.1
    last_reason = "not checked yet"
    while True:
        if not record.alive():
            raise ComponentFailed(
                ctx.name,
                f"exited during start-up ({last_reason}); log: {ctx.log_file}",
                log_tail=log_tail(),
            )
        ok, last_reason = probe(component, ctx)
        if ok:
            return
        if time.monotonic() > deadline:
            raise ComponentFailed(
                ctx.name,
                f"not ready after {ready_timeout(component, ctx):.0f}s ({last_reason}); "
                f"log: {ctx.log_file}",
                log_tail=log_tail(),
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
