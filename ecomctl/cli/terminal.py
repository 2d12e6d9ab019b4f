"""The one object commands use to talk to the terminal.

Human output goes to stderr when `--json` is on, so stdout holds exactly one
JSON document a script can parse. Colours follow rich's detection: none when
not a TTY or when NO_COLOR is set.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ecomctl.runtime.base import UpEvent

_PHASE_STYLE = {
    "ready": "green",
    "skip": "green",
    "failed": "bold red",
    "stop": "yellow",
    "restart": "yellow",
    "install": "cyan",
}


class Output:
    def __init__(self, *, json_mode: bool = False, debug: bool = False) -> None:
        self.json_mode = json_mode
        self.debug = debug
        self.out = Console(stderr=json_mode, highlight=False, soft_wrap=False)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)

    # ---- plain messages -------------------------------------------------------------------
    def info(self, message: str) -> None:
        self.out.print(Text(message))

    def success(self, message: str) -> None:
        self.out.print(Text(message, style="green"))

    def warning(self, message: str) -> None:
        self.err.print(Text(f"warning: {message}", style="yellow"))

    def error(self, message: str, *, hint: str | None = None, detail: str = "") -> None:
        self.err.print(Text(f"error: {message}", style="bold red"))
        if detail:
            self.err.print(Text(detail, style="dim"))
        if hint:
            self.err.print(Text(f"hint: {hint}", style="cyan"))

    # ---- structured output ----------------------------------------------------------------
    def json(self, payload: Any) -> None:
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
        sys.stdout.flush()

    def json_line(self, payload: Any) -> None:
        """One compact JSON document on one line (a stream of them: `watch --json`)."""
        sys.stdout.write(json.dumps(payload, default=str, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    def document(self, text: str) -> None:
        """A generated document (YAML, JSON) written to stdout as it is."""
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()

    def table(
        self, title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.out.print(table)

    def show(self, renderable: Any) -> None:
        """A rich renderable (a tree, a panel) built by the command."""
        self.out.print(renderable)

    def line(self, prefix: str, text: str, style: str) -> None:
        self.out.print(Text.assemble((f"{prefix} | ", style), text), soft_wrap=True)

    # ---- live status of a multi-component operation ---------------------------------------
    @contextmanager
    def live_components(self, title: str, names: Sequence[str]) -> Iterator[LiveComponents]:
        board = LiveComponents(title, names)
        if self.out.is_terminal:
            with Live(
                board.render(), console=self.out, refresh_per_second=8, transient=False
            ) as live:
                board.on_change = lambda: live.update(board.render())
                yield board
        else:
            # Not a terminal (CI, pipes): one line per step instead of a redrawn table.
            board.on_change = None
            board.echo = _ThrottledEcho(self.out)
            yield board


class _ThrottledEcho:
    """Plain lines for logs: every phase change, but install chatter (a line per
    Go package or Maven artifact) at most every few seconds per component."""

    INTERVAL_S = 5.0

    def __init__(self, console: Console) -> None:
        self.console = console
        self.last: dict[str, tuple[str, float]] = {}

    def __call__(self, event: UpEvent) -> None:
        now = time.monotonic()
        phase, when = self.last.get(event.component, ("", 0.0))
        if event.phase == phase and now - when < self.INTERVAL_S:
            return
        self.last[event.component] = (event.phase, now)
        self.console.print(Text(f"{event.component}: {event.phase} {event.message}".rstrip()))


class LiveComponents:
    """A table of components and their latest step, redrawn as events arrive."""

    def __init__(self, title: str, names: Sequence[str]) -> None:
        self.title = title
        self.rows: dict[str, UpEvent] = {name: UpEvent(name, "pending") for name in names}
        self.on_change: Any = None
        self.echo: Any = None

    def event(self, event: UpEvent) -> None:
        if self.echo is not None:
            self.echo(event)
        if event.component == "*":
            return
        self.rows[event.component] = event
        if self.on_change is not None:
            self.on_change()

    def render(self) -> Table:
        table = Table(title=self.title, title_justify="left", show_edge=False, pad_edge=False)
        for column in ("component", "step", "detail"):
            table.add_column(column)
        for name, event in self.rows.items():
            style = _PHASE_STYLE.get(event.phase, "")
            message = event.message if len(event.message) < 90 else event.message[:87] + "..."
            table.add_row(name, Text(event.phase, style=style), message)
        return table
