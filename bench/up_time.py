"""up_time: `ecomctl up` (local runtime, already provisioned) to all ready,
against the slowest single component started alone in the same run.

Target (shared/PERFORMANCE.md): ratio <= 1.3, i.e. starting everything in
parallel costs little more than waiting for the slowest part.

    python bench/up_time.py [--offset 23000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.3


def ecomctl(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", "from ecomctl.cli.app import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def timed_up(workspace: Path, offset: int, only: str | None) -> float:
    args = [
        "--workspace",
        str(workspace),
        "up",
        "--runtime",
        "local",
        "--json",
        "--port-offset",
        str(offset),
    ]
    if only:
        args += ["--only", only]
    started = time.perf_counter()
    result = ecomctl(*args)
    elapsed = time.perf_counter() - started
    try:
        if result.returncode != 0:
            raise SystemExit(f"up {only or 'all'} failed:\n{result.stderr}")
    finally:
        ecomctl("--workspace", str(workspace), "down", "--volumes")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offset", type=int, default=23000)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    from ecomctl.stack.loader import load_stack

    names = list(load_stack().enabled_infra())
    with tempfile.TemporaryDirectory(prefix="ecomctl-bench-") as base:
        alone = {name: timed_up(Path(base, name), options.offset, name) for name in names}
        everything = timed_up(Path(base, "all"), options.offset, None)
    slowest = max(alone, key=lambda n: alone[n])
    ratio = everything / alone[slowest]
    for name, seconds in sorted(alone.items(), key=lambda item: item[1]):
        print(f"  {name:<11} alone {seconds:6.2f} s")
    print(f"  all {len(names)} together {everything:6.2f} s")
    if options.json:
        print(json.dumps({"alone_s": alone, "all_s": everything, "ratio": ratio}))
    print(
        f"up_time: ratio={ratio:.2f} target<={TARGET} "
        f"(all {everything:.1f} s, slowest alone {slowest} {alone[slowest]:.1f} s)"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
