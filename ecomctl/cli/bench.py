"""`ecomctl bench [NAME]`: the benchmarks of bench/, each ratio against its target."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl.bench import BENCHES, run_bench
from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output
from ecomctl.errors import ExitCode


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


def bench(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help=f"One of: {', '.join(BENCHES)} (default: all).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    list_only: Annotated[
        bool, typer.Option("--list", help="List the benchmarks and what they measure; run none.")
    ] = False,
) -> None:
    """Run the benchmarks (shared/PERFORMANCE.md targets) and print ratio vs target.
    Exit 0 only when every target holds.

    Examples:

      ecomctl bench --list

      ecomctl bench cache_hit

      ecomctl bench saga_cost --json
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    if list_only:
        if json_out:
            output.json([{"name": b.name, "what": b.what} for b in BENCHES.values()])
        else:
            output.table(
                "benchmarks", ["bench", "what"], [(b.name, b.what) for b in BENCHES.values()]
            )
        return
    results = run_bench(
        tgt=cli.target(),
        names=[name] if name else None,
        on_start=lambda n: output.info(f"running {n} …"),
    )
    if json_out:
        output.json([r.to_json() for r in results])
    else:
        output.table(
            "benchmarks",
            ["bench", "ratio", "target", "result", "figures"],
            [
                (
                    r.name,
                    "-" if r.ratio is None else f"{r.ratio:.3g}",
                    f"{r.op}{r.target:g}" if r.target is not None else "-",
                    "pass" if r.ok else f"FAIL (exit {r.exit_code})",
                    r.detail or r.last_line,
                )
                for r in results
            ],
        )
    if not all(r.ok for r in results):
        raise typer.Exit(ExitCode.FAILED)
