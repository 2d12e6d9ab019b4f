"""The model on small hand-made histories: what it recommends and what it never does."""

from __future__ import annotations

from recommendation.domain.interest import interactions_of, review_weight
from recommendation.domain.similarity import Interaction, ItemSimilarity, Popularity

# Shoppers 1-3 buy tents and sleeping bags (10, 11, 12); 4-6 buy books (20, 21, 22);
# product 30 is bought by everyone (the best-seller).
BASKETS = {1: [10, 11, 30], 2: [10, 12, 30], 3: [11, 12, 30], 4: [20, 21, 30], 5: [20, 22]}
MODEL = ItemSimilarity.train(
    Interaction(user, product) for user, basket in BASKETS.items() for product in basket
)


def test_a_shopper_gets_what_similar_shoppers_bought() -> None:
    assert MODEL.recommend({10: 1.0, 30: 1.0}, k=2) == [11, 12]
    assert MODEL.recommend({10: 1.0}, k=3) == [30, 11, 12]  # 30 is bought with 10 most
    assert MODEL.recommend({20: 1.0}, k=2)[:1] in ([21], [22])


def test_never_what_was_bought_nor_what_is_excluded() -> None:
    chosen = MODEL.recommend({10: 1.0, 11: 1.0}, k=10, exclude={12})
    assert not {10, 11, 12} & set(chosen)
    assert len(chosen) == len(set(chosen))


def test_a_new_shopper_gets_the_popular_products() -> None:
    assert MODEL.recommend({}, k=3) == [30, 10, 11]
    assert MODEL.recommend({999: 1.0}, k=1) == [30]


def test_similar_products_and_a_new_product() -> None:
    assert MODEL.similar(20, k=2) == [21, 22] or MODEL.similar(20, k=2) == [22, 21]
    assert MODEL.similar(999, k=2) == [30, 10]
    assert 30 not in MODEL.similar(999, k=2, exclude={30})


def test_popularity_counts_users_not_purchases() -> None:
    weights = {1: {5: 3.0}, 2: {6: 1.0}, 3: {6: 1.0}}
    assert Popularity.train(weights).top(2) == [6, 5]


def test_low_ratings_say_nothing() -> None:
    assert review_weight(5) == 1.0 and review_weight(2) == 0.0
    interest = interactions_of([(1, 7)], [(1, 8, 1), (1, 9, 5)])
    assert [(one.product_id, one.weight) for one in interest] == [(7, 1.0), (9, 1.0)]
