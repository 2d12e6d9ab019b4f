"""The outcome of a run: stats per endpoint, order completion, the verdict per gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ecomctl.loadtest.completion import Completion
from ecomctl.loadtest.options import LoadTestOptions
from ecomctl.loadtest.slo import Verdict, evaluate
from ecomctl.loadtest.stats import RunStats


@dataclass
class LoadTestReport:
    options: LoadTestOptions
    host: str
    stats: RunStats
    completion: Completion
    verdicts: list[Verdict] = field(default_factory=list)
    run_dir: Path | None = None
    web_url: str | None = None

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)

    def measured(self) -> dict[str, float | None]:
        total = self.stats.total
        figures: dict[str, float | None] = {"completion": self.completion.ratio}
        if total is not None:
            figures |= {
                "p50": total.p50_ms,
                "p95": total.p95_ms,
                "p99": total.p99_ms,
                "errors": total.error_rate,
                "rps": total.rps,
            }
        return figures

    def judge(self) -> None:
        self.verdicts = evaluate(list(self.options.gates), self.measured())

    def to_json(self) -> dict[str, object]:
        options = self.options
        return {
            "ok": self.ok,
            "host": self.host,
            "profile": options.profile,
            "shape": options.shape,
            "users": options.users,
            "spawn_rate": options.spawn_rate,
            "duration_s": options.duration_s,
            "seed": options.seed,
            "workers": options.workers,
            "elapsed_s": round(self.stats.duration_s, 2),
            "total": self.stats.total.to_json() if self.stats.total else None,
            "endpoints": [e.to_json() for e in self.stats.endpoints],
            "failures": self.stats.failures,
            "orders": self.completion.to_json(),
            "gates": [v.to_json() for v in self.verdicts],
            "reports": {
                "html": str(options.html) if options.html else None,
                "csv_prefix": options.csv_prefix,
                "run_dir": str(self.run_dir) if self.run_dir else None,
            },
        }
