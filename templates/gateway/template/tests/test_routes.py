from __future__ import annotations

from gateway.domain.routes import load_routes


def test_every_api_prefix_of_the_plan_has_a_route() -> None:
    table = load_routes()
    expected = {
        "/api/auth/login": "user-auth",
        "/api/users/profile": "user-auth",
        "/api/products/7": "product-catalog",
        "/api/reviews": "product-catalog",
        "/api/orders/1/cancel": "order",
        "/api/orders/history": "order",
        "/api/admin/sales": "order",
        "/api/admin/orders": "order",
        "/api/payments/3": "payment",
        "/api/inventory/reserve": "inventory",
        "/api/notifications/42": "notification",
        "/api/search/products": "product-search",
        "/api/recommendations/3": "recommendation",
        "/api/products/7/similar": "recommendation",
        "/api/products/7/rating": "product-catalog",
        "/api/products/7/similar/x": "product-catalog",
        "/api/products//similar": "product-catalog",
    }
    for path, service in expected.items():
        route = table.match(path)
        assert route is not None and route.service == service, path
    assert table.match("/api/productsX") is None
    assert table.match("/api/unknown") is None
    assert table.match("/api/admin/recommendations/train") is None  # not through the edge


def test_public_requests_are_exactly_those_of_the_plan() -> None:
    table = load_routes()

    def public(method: str, path: str) -> bool:
        route = table.match(path)
        assert route is not None
        return route.is_public(method, path)

    assert public("POST", "/api/auth/login")
    assert public("POST", "/api/auth/register")
    assert public("POST", "/api/auth/refresh")
    assert public("GET", "/api/products/7")
    assert public("GET", "/api/products/7/rating")
    assert public("GET", "/api/products")
    assert public("GET", "/api/search/products")
    assert public("GET", "/api/search/suggest")
    assert public("GET", "/api/products/7/similar")
    assert not public("GET", "/api/recommendations/3")
    assert not public("POST", "/api/search/products")
    assert not public("POST", "/api/products")
    assert not public("POST", "/api/auth/logout")
    assert not public("GET", "/api/users/profile")
    assert not public("GET", "/api/orders/1")


def test_only_the_auth_paths_are_sensitive() -> None:
    """Credentials pass on /api/auth/* only: the stricter limit and no-store apply there."""
    table = load_routes()

    def sensitive(path: str) -> bool:
        route = table.match(path)
        assert route is not None
        return route.sensitive.matches(path)

    assert all(sensitive(p) for p in ("/api/auth/login", "/api/auth/register", "/api/auth/jwks"))
    assert not any(sensitive(p) for p in ("/api/users/profile", "/api/products/1", "/api/orders"))
