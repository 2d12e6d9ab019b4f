"""Finding and installing every component's binaries (`infra install`, `doctor`, `up`).

Installs run in parallel lanes, one per package client, because two apt-get
runs (or two go builds) at once only contend for the same lock or cores.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ecomctl.errors import ComponentFailed, EcomctlError
from ecomctl.infra.component import Installation
from ecomctl.infra.registry import get_component


@contextlib.contextmanager
def _install_lock(cache_dir: Path, name: str) -> Iterator[None]:
    """One install of a component at a time per cache, across processes."""
    with (cache_dir / f".{name}.install.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


INSTALL_LANE = {
    "postgres": "apt",
    "mysql": "apt",
    "redis": "apt",
    "prometheus": "apt",
    "kafka": "maven",
    "search": "maven",
    "zipkin": "maven",
    "mongo": "go",
    "smtp": "go",
    "stripe": "pip",
}


@dataclass(frozen=True)
class Presence:
    """What `doctor` shows for one component."""

    name: str
    installation: Installation | None
    hint: str


def locate(names: list[str], cache_dir: Path) -> dict[str, Installation | None]:
    return {name: get_component(name).locate(cache_dir) for name in names}


def presence(names: list[str], cache_dir: Path) -> list[Presence]:
    found = locate(names, cache_dir)
    return [Presence(name, found[name], get_component(name).install_hint()) for name in names]


def install(
    names: list[str],
    cache_dir: Path,
    *,
    progress: Callable[[str, str], None],
    force: bool = False,
) -> dict[str, Installation]:
    """Install what is missing (or everything with `force`); returns every installation."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    found = {} if force else {n: i for n, i in locate(names, cache_dir).items() if i is not None}
    missing = [name for name in names if name not in found]
    lanes: dict[str, list[str]] = {}
    for name in missing:
        lanes.setdefault(INSTALL_LANE.get(name, name), []).append(name)

    def run_lane(lane: list[str]) -> dict[str, Installation]:
        done: dict[str, Installation] = {}
        for name in lane:
            progress(name, "installing")

            def report(line: str, component: str = name) -> None:
                progress(component, line)

            try:
                with _install_lock(cache_dir, name):
                    # Another ecomctl may have installed it while we waited for the lock.
                    ready = None if force else get_component(name).locate(cache_dir)
                    done[name] = ready or get_component(name).install(cache_dir, report)
            except EcomctlError:
                raise
            except Exception as exc:  # a provisioning tool failed in a way we did not foresee
                raise ComponentFailed(name, f"install failed: {exc}") from exc
            progress(name, f"installed {done[name].version} ({done[name].source})")
        return done

    with ThreadPoolExecutor(max_workers=max(1, len(lanes))) as pool:
        for result in pool.map(run_lane, lanes.values()):
            found.update(result)
    return found
