"""`ecomctl loadtest`: Locust against the running stack, live progress, SLO verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.errors import ExitCode
from ecomctl.loadtest import LoadTestReport, Progress, build_options, run_loadtest
from ecomctl.loadtest.slo import DEFAULT_SLO


def register(app: typer.Typer) -> None:
    app.command("loadtest")(loadtest)


def loadtest(
    ctx: typer.Context,
    profile: Annotated[str, typer.Option(help="browse, checkout or mixed.")] = "mixed",
    users: Annotated[int, typer.Option(help="Simulated users at the peak.")] = 20,
    spawn_rate: Annotated[float, typer.Option(help="Users started per second.")] = 5.0,
    duration: Annotated[str, typer.Option(help="Run time, e.g. 30s, 2m.")] = "60s",
    shape: Annotated[str, typer.Option(help="steady, ramp or spike.")] = "steady",
    slo: Annotated[
        str, typer.Option(help="Gates: pNN=<ms>, errors=<%>, completion=<%>, rps=<n>.")
    ] = DEFAULT_SLO,
    html: Annotated[Path | None, typer.Option(help="Write Locust's HTML report here.")] = None,
    csv: Annotated[str | None, typer.Option(help="Write Locust's CSVs with this prefix.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    web: Annotated[bool, typer.Option(help="Run with Locust's web UI (127.0.0.1).")] = False,
    workers: Annotated[int, typer.Option(help="Locust worker processes (0: in process).")] = 0,
    seed: Annotated[int | None, typer.Option(help="Repeatable data and journeys.")] = None,
) -> None:
    """Load the running stack through its gateway with Locust and judge the SLO gates.
    Exit 0 only when every gate holds.

    Examples:

      ecomctl loadtest --profile mixed --duration 60s

      ecomctl loadtest --profile checkout --users 30 --shape spike --html report.html

      ecomctl loadtest --slo p99=300ms,errors=0.5% --json > result.json
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    options = build_options(
        profile=profile, users=users, spawn_rate=spawn_rate, duration=duration, shape=shape,
        slo=slo, html=html, csv_prefix=csv, web=web, workers=workers, seed=seed,
    )  # fmt: skip
    tgt = cli.target()
    board = _Board()
    # No refresh thread (auto_refresh off): Locust's gevent patching does not mix with one.
    with Live(board.render(), console=output.out, auto_refresh=False, transient=True) as live:

        def progress(now: Progress) -> None:
            board.latest = now
            live.update(board.render(), refresh=True)

        report = run_loadtest(
            tgt=tgt, options=options, on_progress=progress, on_phase=lambda t: output.info(t)
        )
    if json_out:
        output.json(report.to_json())
    else:
        _show(output, report)
    if not report.ok:
        raise typer.Exit(ExitCode.FAILED)


class _Board:
    latest: Progress | None = None

    def render(self) -> Text:
        now = self.latest
        if now is None:
            return Text("starting…", style="dim")
        return Text(
            f"{now.elapsed_s:5.0f} s  users {now.users:>3}  {now.rps:7.1f} req/s  "
            f"p50 {now.p50_ms:.0f} ms  p95 {now.p95_ms:.0f} ms  p99 {now.p99_ms:.0f} ms  "
            f"errors {now.failures}/{now.requests}  "
            f"orders {now.orders_done}/{now.orders_placed} final"
        )


def _show(output: Output, report: LoadTestReport) -> None:
    table = Table(title="endpoints", title_justify="left", show_edge=False, pad_edge=False)
    for column in ("method", "name", "requests", "fails", "req/s", "p50", "p95", "p99"):
        table.add_column(column, justify="left" if column in ("method", "name") else "right")
    rows = [*report.stats.endpoints, *([report.stats.total] if report.stats.total else [])]
    for e in rows:
        table.add_row(
            e.method, escape(e.name), f"{e.requests:,}", f"{e.failures:,}", f"{e.rps:.1f}",
            f"{e.p50_ms:.0f}", f"{e.p95_ms:.0f}", f"{e.p99_ms:.0f}",
        )  # fmt: skip
    output.out.print(table)
    done = report.completion
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(done.statuses.items())) or "none"
    output.info(f"orders (from the order service): {done.completed}/{done.placed} complete "
                f"({statuses})")  # fmt: skip
    for verdict in report.verdicts:
        mark = Text("  ✓ ", style="green") if verdict.ok else Text("  ✗ ", style="bold red")
        output.out.print(Text.assemble(mark, f"{verdict.gate.text:<20} actual {verdict.shown}"))
    if report.web_url:
        output.info(f"Locust's web UI was at {report.web_url}")
    if report.ok:
        output.success("loadtest: every gate holds")
    else:
        failed = ", ".join(v.gate.text for v in report.verdicts if not v.ok)
        output.error(f"loadtest: gate failed: {failed}")
