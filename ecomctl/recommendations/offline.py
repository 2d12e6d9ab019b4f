"""`ecomctl recommendations eval`: precision, recall and nDCG at k of the model against the
popularity baseline, on the generated data set of the service's domain/tastes.py.

The evaluation is the service's own code (`python -m recommendation.entrypoints.evaluate`):
the workspace's generated service when there is one (so a team measures the model it
changed), else the template shipped with ecomctl. Its domain needs only the standard
library, so ecomctl's interpreter runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ecomctl.errors import UserError
from ecomctl.workspace import Workspace

MODULE = "recommendation.entrypoints.evaluate"
TIMEOUT_S = 600


def model_source(workspace: Workspace | None, service: str = "recommendation") -> Path:
    """The `src` folder whose model is evaluated: the workspace's, else the template's."""
    from ecomctl.scaffold.templates import templates_root

    if workspace is not None:
        generated = workspace.root / "services" / service / "src"
        if (generated / "recommendation").is_dir():
            return generated
    return templates_root() / "recommendation" / "template" / "src"


def evaluate_offline(
    *, workspace: Workspace | None, seed: int = 7, users: int = 1000, k: int = 10
) -> dict[str, Any]:
    """The evaluation as the service prints it, plus where the model came from and whether
    it beats the baseline on nDCG@k."""
    source = model_source(workspace)
    argv = [sys.executable, "-m", MODULE, "--seed", str(seed), "--users", str(users)]
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(
        [*argv, "--k", str(k)], env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"the evaluation of {source} failed: {last}")
    result: dict[str, Any] = json.loads(done.stdout)
    result["source"] = str(source)
    result["beats_baseline"] = result["model"]["ndcg"] > result["popularity"]["ndcg"]
    return result
