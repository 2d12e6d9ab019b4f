"""Offline evaluation on the generated data set (domain/tastes.py), as JSON on stdout:
`python -m recommendation.entrypoints.evaluate [--seed N] [--users N] [--k N]`.

`ecomctl recommendations eval` runs this module of the workspace's own service (or of the
template shipped with ecomctl), so a team that changes the model measures its own code.
"""

from __future__ import annotations

import argparse
import json
import sys

from recommendation.domain.evaluation import evaluate
from recommendation.domain.tastes import Tastes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="recommendation.entrypoints.evaluate")
    parser.add_argument("--seed", type=int, default=Tastes.seed)
    parser.add_argument("--users", type=int, default=Tastes.users)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args(argv)
    result = evaluate(Tastes(users=args.users, seed=args.seed), k=args.k)
    json.dump(result.to_json(), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
