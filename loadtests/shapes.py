"""Load shapes (Locust `LoadTestShape`): steady, ramp, spike. Each ends by itself after the
run's duration, so a run is bounded in time whatever drives it (library, CLI, web UI).

Classes are `abstract` so Locust does not pick them up from an import; `shape_class(name)`
makes the concrete one with the run's users, spawn rate and duration."""

from __future__ import annotations

from locust import LoadTestShape


class _Bounded(LoadTestShape):
    abstract = True
    users = 10
    spawn_rate = 5.0
    duration_s = 60.0

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        if elapsed >= self.duration_s:
            return None
        return max(1, round(self.users * self.fraction(elapsed / self.duration_s))), self.spawn_rate

    def fraction(self, progress: float) -> float:
        """Share of `users` running at `progress` (0..1) of the run."""
        raise NotImplementedError


class SteadyShape(_Bounded):
    """All users (reached at the spawn rate) for the whole run."""

    abstract = True

    def fraction(self, progress: float) -> float:
        return 1.0


class RampShape(_Bounded):
    """Up in four equal steps to all users, holding the last quarter."""

    abstract = True

    def fraction(self, progress: float) -> float:
        return min(4, int(progress * 4) + 1) / 4


class SpikeShape(_Bounded):
    """A quarter of the users, all of them for the middle fifth of the run, a quarter again."""

    abstract = True

    def fraction(self, progress: float) -> float:
        return 1.0 if 0.4 <= progress < 0.6 else 0.25


SHAPES: dict[str, type[_Bounded]] = {
    "steady": SteadyShape,
    "ramp": RampShape,
    "spike": SpikeShape,
}


def shape_class(name: str, *, users: int, spawn_rate: float, duration_s: float) -> type[_Bounded]:
    base = SHAPES[name]
    return type(
        f"{base.__name__}Run",
        (base,),
        {
            "abstract": False,
            "users": users,
            "spawn_rate": spawn_rate,
            "duration_s": duration_s,
            "fraction": base.fraction,
        },
    )
