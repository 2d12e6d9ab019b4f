"""Time `ecomctl migrate` against Flyway on every service's migrations, in one run.

Each service's migrations are applied to a fresh empty database, once by the
ecomctl command line and once by the Flyway command line (12.4.0, provisioned
with mvn by tests/integration/migrate/flyway_cli.py), both as the processes a
user would start. Prints one line per service and, last:

    migrate_time: ratio=<ecomctl/flyway> target<=0.5 (...)

Exit 0 when the target holds (or when Flyway is not available: then the
absolute time and the per-migration overhead are printed instead).

Usage: python bench/migrate_time.py [--postgres-url URL] [--mysql-url URL] [--rounds N]
Admin URLs default to $ECOMCTL_BENCH_POSTGRES_URL / $ECOMCTL_BENCH_MYSQL_URL, else
the migrate test servers on 127.0.0.1:35432 and :33306.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "migrate"))

from flyway_cli import provision  # noqa: E402
from migrate_support import new_database  # noqa: E402

from ecomctl.migrate.url import DatabaseUrl  # noqa: E402

SERVICES = {
    "user-auth": "mysql",
    "product-catalog": "mysql",
    "inventory": "mysql",
    "order": "postgresql",
    "payment": "postgresql",
}
TARGET = 0.5


def _time(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"failed: {' '.join(command[:6])}...\n{done.stdout[-1500:]}{done.stderr[-1500:]}"
        )
    return elapsed


def ecomctl_cmd(url: DatabaseUrl, folder: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ecomctl.cli.app",
        "migrate",
        "--url",
        str(url),
        "--locations",
        str(folder),
        "--json",
    ]


def flyway_cmd(lib: Path, url: DatabaseUrl, folder: Path) -> list[str]:
    return [
        "java",
        "-cp",
        f"{lib}/*",
        "org.flywaydb.commandline.Main",
        "-outputType=json",
        f"-url={url.jdbc()}",
        f"-user={url.user}",
        f"-password={url.password}",
        f"-locations=filesystem:{folder}",
        "migrate",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "ECOMCTL_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:35432/postgres"
        ),
    )
    parser.add_argument(
        "--mysql-url",
        default=os.environ.get("ECOMCTL_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:33306/mysql"),
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    admin = {"postgresql": args.postgres_url, "mysql": args.mysql_url}
    lib, why = provision()
    if lib is None:
        print(f"flyway unavailable ({why}); timing ecomctl alone")
    ours_total = theirs_total = 0.0
    scripts = 0
    for service, dialect in SERVICES.items():
        folder = ROOT / "migrations" / service
        count = sum(1 for p in folder.iterdir() if p.name[:1] in "VR" and p.suffix == ".sql")
        ours = min(
            _time(ecomctl_cmd(new_database(admin[dialect]), folder)) for _ in range(args.rounds)
        )
        theirs = (
            min(
                _time(flyway_cmd(lib, new_database(admin[dialect]), folder))
                for _ in range(args.rounds)
            )
            if lib
            else 0.0
        )
        ours_total, theirs_total, scripts = (
            ours_total + ours,
            theirs_total + theirs,
            scripts + count,
        )
        print(
            f"{service:16} {count:2} scripts  ecomctl {ours:6.3f}s"
            + (f"  flyway {theirs:6.3f}s" if lib else "")
        )
    if not lib:
        print(
            f"migrate_time: ecomctl={ours_total:.3f}s for {scripts} scripts "
            f"({ours_total / scripts * 1000:.0f} ms per script incl. process start)"
        )
        return 0
    ratio = ours_total / theirs_total
    print(
        f"migrate_time: ratio={ratio:.2f} target<={TARGET} (ecomctl {ours_total:.3f}s vs flyway "
        f"{theirs_total:.3f}s, {scripts} scripts in 5 services, best of {args.rounds}, "
        "CLI processes)"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
