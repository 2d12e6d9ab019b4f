"""Offline evaluation: the model must beat popularity on the generated data set."""

from __future__ import annotations

import json
import math

import pytest

from recommendation.domain.evaluation import Scores, evaluate, scores_at, split
from recommendation.domain.similarity import Interaction
from recommendation.domain.tastes import Tastes, generate
from recommendation.entrypoints.evaluate import main

SMALL = Tastes(users=300, products=200)


def test_the_model_beats_popularity_on_ndcg_precision_and_recall() -> None:
    result = evaluate(SMALL)
    assert result.model.ndcg > result.popularity.ndcg * 1.5
    assert result.model.precision > result.popularity.precision
    assert result.model.recall > result.popularity.recall


def test_the_data_set_is_deterministic_and_buys_each_product_once_per_user() -> None:
    assert generate(SMALL) == generate(SMALL)
    assert generate(SMALL) != generate(Tastes(users=300, products=200, seed=8))
    for history in generate(SMALL):
        products = [one.product_id for one in history]
        assert 5 <= len(products) <= 40 and len(set(products)) == len(products)


def test_the_split_holds_out_each_users_last_purchases() -> None:
    history = [Interaction(1, p) for p in range(10)]
    train, test = split([history])
    assert [one.product_id for one in train] == list(range(8)) and test == {1: {8, 9}}


def test_metrics_at_k() -> None:
    found = scores_at([1, 2, 3], {1, 3}, k=3)
    assert (found.precision, found.recall) == (2 / 3, 1.0)
    assert found.ndcg == pytest.approx((1 + 1 / 2) / (1 + 1 / math.log2(3)))
    assert scores_at([4, 5], {1}, k=2) == Scores(0.0, 0.0, 0.0)


def test_the_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--users", "100", "--seed", "3"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["users"] == 100 and printed["seed"] == 3 and "ndcg" in printed["model"]
