"""What a load test run is asked to do, checked before anything is sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ecomctl.errors import UsageError
from ecomctl.loadtest.slo import Gate, parse_slo

# Which Locust user classes (loadtests/locustfile.py) make up each profile.
PROFILES: dict[str, tuple[str, ...]] = {
    "browse": ("BrowsingUser",),
    "checkout": ("ShoppingUser",),
    "mixed": ("BrowsingUser", "ShoppingUser", "AccountUser"),
}
SHAPES = ("steady", "ramp", "spike")
MAX_USERS = 1000  # bounded load: this drives a laptop's own stack, not a cluster
MAX_DURATION_S = 3600.0
MAX_WORKERS = 16
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class LoadTestOptions:
    profile: str = "mixed"
    users: int = 20
    spawn_rate: float = 5.0
    duration_s: float = 60.0
    shape: str = "steady"
    gates: tuple[Gate, ...] = ()
    html: Path | None = None
    csv_prefix: str | None = None
    web: bool = False
    workers: int = 0
    seed: int | None = None
    settle_s: float = 30.0  # how long orders may take to reach their final status after load

    @property
    def user_classes(self) -> tuple[str, ...]:
        return PROFILES[self.profile]


def parse_duration(text: str) -> float:
    """`60s`, `2m`, `1.5h`, `500ms` or plain seconds."""
    found = _DURATION.match(text.strip().lower())
    if not found:
        raise UsageError(f"malformed duration {text!r}: use e.g. 30s, 2m, 1h")
    return float(found.group(1)) * _UNIT_S[found.group(2) or "s"]


def build_options(
    *,
    profile: str,
    users: int,
    spawn_rate: float,
    duration: str,
    shape: str,
    slo: str,
    html: Path | None = None,
    csv_prefix: str | None = None,
    web: bool = False,
    workers: int = 0,
    seed: int | None = None,
) -> LoadTestOptions:
    """Every option checked; the first wrong one is a UsageError (exit 2, nothing sent)."""
    if profile not in PROFILES:
        raise UsageError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
    if shape not in SHAPES:
        raise UsageError(f"unknown shape {shape!r}: choose one of {', '.join(SHAPES)}")
    if not 1 <= users <= MAX_USERS:
        raise UsageError(f"--users must be between 1 and {MAX_USERS}, not {users}")
    if spawn_rate <= 0:
        raise UsageError(f"--spawn-rate must be positive, not {spawn_rate:g}")
    seconds = parse_duration(duration)
    if not 1 <= seconds <= MAX_DURATION_S:
        raise UsageError(f"--duration must be between 1s and 1h, not {duration}")
    if not 0 <= workers <= MAX_WORKERS:
        raise UsageError(f"--workers must be between 0 and {MAX_WORKERS}, not {workers}")
    return LoadTestOptions(
        profile=profile,
        users=users,
        spawn_rate=spawn_rate,
        duration_s=seconds,
        shape=shape,
        gates=tuple(parse_slo(slo)),
        html=html,
        csv_prefix=csv_prefix,
        web=web,
        workers=workers,
        seed=seed,
    )
