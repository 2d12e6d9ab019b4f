"""Reading and following per-component log files, merged with component names."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from ecomctl.runtime.base import LogLine

FOLLOW_POLL_S = 0.2


def tail_text(path: Path, lines: int) -> str:
    if not path.is_file():
        return ""
    with path.open("r", errors="replace") as handle:
        return "".join(deque(handle, maxlen=lines)).rstrip()


def merged(files: dict[str, Path], *, follow: bool, tail: int) -> Iterator[LogLine]:
    """The last `tail` lines of each file (0 = all), then new lines as they arrive."""
    handles = {}
    try:
        for name, path in files.items():
            if not path.is_file():
                continue
            handle = path.open("r", errors="replace")
            recent = deque(handle, maxlen=tail) if tail > 0 else list(handle)
            for text in recent:
                yield LogLine(name, text.rstrip("\n"))
            handles[name] = handle
        while follow:
            quiet = True
            for name, handle in handles.items():
                for text in iter(handle.readline, ""):
                    quiet = False
                    yield LogLine(name, text.rstrip("\n"))
            if quiet:
                time.sleep(FOLLOW_POLL_S)
    finally:
        for handle in handles.values():
            handle.close()
