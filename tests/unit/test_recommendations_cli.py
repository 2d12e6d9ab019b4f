"""`ecomctl recommendations`: help with examples, the offline evaluation (the template's
model, or the workspace's own), and one readable line when there is no service to train
(training against the running service: tests/integration/test_recommendation_service.py)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import yaml
from typer.testing import CliRunner

from ecomctl.cli.app import app
from tests.unit.test_cli import ecomctl

ENV = {"NO_COLOR": "1", "COLUMNS": "120"}


def a_workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    assert ecomctl("init", str(workspace), cwd=tmp_path).returncode == 0
    return workspace


def test_help_has_examples_and_json() -> None:
    for command in ("train", "eval"):
        result = CliRunner().invoke(app, ["recommendations", command, "--help"], env=ENV)
        assert result.exit_code == 0
        assert "--json" in result.output and f"ecomctl recommendations {command}" in result.output


def test_eval_beats_popularity_with_the_shipped_model(tmp_path: Path) -> None:
    workspace = a_workspace(tmp_path)
    done = ecomctl(
        "-w", str(workspace), "recommendations", "eval", "--users", "200", "--json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["beats_baseline"] and result["users"] == 200 and result["k"] == 10
    assert result["model"]["ndcg"] > result["popularity"]["ndcg"]
    assert result["source"].endswith("recommendation/template/src")
    table = ecomctl("-w", str(workspace), "recommendations", "eval", "--users", "100", cwd=tmp_path)
    assert table.returncode == 0 and "nDCG@10" in table.stdout and "popularity" in table.stdout


def test_eval_measures_the_workspaces_own_model_and_fails_when_it_loses(tmp_path: Path) -> None:
    workspace = a_workspace(tmp_path)
    package = workspace / "services" / "recommendation" / "src" / "recommendation"
    (package / "entrypoints").mkdir(parents=True)
    for init in (package / "__init__.py", package / "entrypoints" / "__init__.py"):
        init.write_text("")
    worse = {"precision": 0.01, "recall": 0.01, "ndcg": 0.01}
    better = {"precision": 0.02, "recall": 0.02, "ndcg": 0.02}
    printed = {"k": 10, "users": 50, "products": 9, "seed": 7, "model": worse}
    (package / "entrypoints" / "evaluate.py").write_text(
        f"print({json.dumps({**printed, 'popularity': better})!r})\n"
    )
    done = ecomctl("-w", str(workspace), "recommendations", "eval", cwd=tmp_path)
    assert done.returncode == 1
    assert "the model does not beat popularity on nDCG@10" in done.stderr
    assert "Traceback" not in done.stderr


def test_eval_rejects_a_k_over_100(tmp_path: Path) -> None:
    done = ecomctl("recommendations", "eval", "--k", "101", cwd=tmp_path)
    assert done.returncode == 2 and "--k" in done.stderr


def test_train_without_the_service_is_one_line(tmp_path: Path) -> None:
    workspace = a_workspace(tmp_path)
    done = ecomctl("-w", str(workspace), "recommendations", "train", cwd=tmp_path)
    assert done.returncode == 1
    assert "this stack runs no recommendation service" in done.stderr
    stack = yaml.safe_load((workspace / "ecomctl.yaml").read_text())
    with socket.socket() as free:  # a port nothing listens on once closed
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    stack["services"]["recommendation"].update(enabled=True, port=port)
    (workspace / "ecomctl.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    down = ecomctl("-w", str(workspace), "recommendations", "train", "--json", cwd=tmp_path)
    assert down.returncode == 1 and f"does not answer at http://127.0.0.1:{port}" in down.stderr
    assert "Traceback" not in down.stderr
