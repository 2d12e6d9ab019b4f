"""A running stack with the saga services, shared by the scenario and invariant tests.

The session's `platform` is used when its stack runs the saga services; otherwise a
workspace of its own is brought up (every service enabled, infra limited to what they use)
on its own port offset, once per session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecomctl.operations import Target, target
from tests.integration.conftest import OFFSET, Platform, run_ecomctl

SAGA = ("gateway", "user-auth", "product-catalog", "order", "payment", "inventory",
        "notification")  # fmt: skip
OWN_OFFSET = OFFSET + int(os.environ.get("ECOMCTL_TEST_SAGA_SHIFT", "1400"))
RELEASE_OFFSET = OFFSET + int(os.environ.get("ECOMCTL_TEST_RELEASE_SHIFT", "2200"))


@dataclass(frozen=True)
class SagaStack:
    workspace: Path

    def ecomctl(self, *args: str, timeout: float = 300):  # type: ignore[no-untyped-def]
        return run_ecomctl("--workspace", str(self.workspace), *args, timeout=timeout)

    def target(self) -> Target:
        return target(workspace=self.workspace, stack_file=None, create=False)


def own_workspace(
    root: Path,
    offset: int = OWN_OFFSET,
    extra: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
) -> Iterator[SagaStack]:
    """A workspace of its own running every saga service (and the infra they use), plus
    the `extra` components asked for (zipkin, for the trace tests) and top-level sections
    of the stack file replaced by `overrides` (observability, for the metric tests)."""
    assert run_ecomctl("init", str(root)).returncode == 0
    stack = yaml.safe_load((root / "ecomctl.yaml").read_text())
    for spec in stack["services"].values():
        spec["enabled"] = True
    stack.update(overrides or {})
    (root / "ecomctl.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    names = ",".join([*SAGA, "registry", *extra])
    up = run_ecomctl(
        "-w", str(root), "up", "--runtime", "local", "--yes", "--json", "--only", names,
        "--port-offset", str(offset), timeout=1200,
    )  # fmt: skip
    if up.returncode != 0:
        run_ecomctl("-w", str(root), "down")
        pytest.fail(f"ecomctl up failed ({up.returncode}):\n{up.stderr[-4000:]}")
    yield SagaStack(root)
    run_ecomctl("-w", str(root), "down", "--volumes", check=True)


@pytest.fixture(scope="session")
def saga_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[SagaStack]:  # fmt: skip
    existing = os.environ.get("ECOMCTL_TEST_SAGA_WORKSPACE")  # a stack you already run
    if existing:
        yield SagaStack(Path(existing))
        return
    from ecomctl.stack.loader import load_stack

    enabled = {name for name, spec in load_stack().services.items() if spec.enabled}
    if set(SAGA) <= enabled:  # the session's platform runs them: share it
        platform: Platform = request.getfixturevalue("platform")
        yield SagaStack(platform.workspace)
        return
    yield from own_workspace(tmp_path_factory.mktemp("saga-ws"), extra=("zipkin",))
