"""`ecomctl recommendations`: the recommendation service's model, trained now or measured."""

from __future__ import annotations

from typing import Annotated

import typer

from ecomctl.cli.context import state
from ecomctl.cli.options import JsonDocument
from ecomctl.cli.terminal import Output
from ecomctl.errors import ExitCode
from ecomctl.recommendations import evaluate_offline, train_model

app = typer.Typer(
    help=(
        "Product recommendations (the recommendation service's item-item model).\n\n"
        "Examples:\n\n"
        "  ecomctl recommendations train\n\n"
        "  ecomctl recommendations eval --json | jq .model.ndcg"
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("train")
def train(ctx: typer.Context, json_out: JsonDocument = False) -> None:
    """Train the running service's model now (it also trains on a schedule).

    Examples:

      ecomctl recommendations train

      ecomctl recommendations train --json

    Exit codes: 0 trained; 1 no recommendation service in the stack, or it does not answer.
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    report = train_model(tgt=state(ctx).target())
    if json_out:
        output.json(report)
        return
    output.success(
        f"trained on {report['interactions']} interactions of {report['users']} users "
        f"({report['products']} products) in {report['seconds']} s"
    )


@app.command("eval")
def evaluate(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="Seed of the generated data set.")] = 7,
    users: Annotated[int, typer.Option(min=50, max=100_000, help="Shoppers generated.")] = 1000,
    k: Annotated[int, typer.Option(min=1, max=100, help="Recommendations scored per user.")] = 10,
    json_out: JsonDocument = False,
) -> None:
    """Offline evaluation: precision, recall and nDCG at k of the model vs popularity, on a
    generated data set (shoppers with tastes; docs/services/recommendation.md), each
    user's last purchases held out.

    Examples:

      ecomctl recommendations eval

      ecomctl recommendations eval --seed 11 --users 3000 --json

    Exit codes: 0 the model beats popularity on nDCG@k; 1 it does not, or the run failed.
    """
    output = Output(json_mode=json_out, debug=state(ctx).debug)
    workspace = state(ctx).target().workspace
    result = evaluate_offline(workspace=workspace, seed=seed, users=users, k=k)
    if json_out:
        output.json(result)
    else:
        model, popular = result["model"], result["popularity"]
        output.table(
            f"offline evaluation at k={result['k']} ({result['users']} users, "
            f"{result['products']} products, seed {result['seed']})",
            ["", f"precision@{k}", f"recall@{k}", f"nDCG@{k}"],
            [
                ["item-item model", *(f"{model[m]:.4f}" for m in ("precision", "recall", "ndcg"))],
                ["popularity", *(f"{popular[m]:.4f}" for m in ("precision", "recall", "ndcg"))],
            ],
        )
    if not result["beats_baseline"]:
        output.error(f"the model does not beat popularity on nDCG@{k}")
        raise typer.Exit(ExitCode.FAILED)
