"""Domain errors leave a service as problem+json with their kind's status, with no
mapping in the service: routes only hand commands on."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from ecomkit import errors
from ecomkit.auth import require_roles
from ecomkit.service import Wiring, service_app
from ecomkit.settings import ServiceSettings
from ecomkit.testing import TestAuth


class OrderNotFound(errors.NotFound):
    what = "order"


class UnknownProduct(errors.InvalidInput):
    def __init__(self, product_id: int) -> None:
        super().__init__(f"product {product_id} is not for sale", field="items", productId=7)


RAISED: dict[str, Exception] = {
    "not-found": OrderNotFound(7),
    "conflict": errors.Conflict("order 7 is PAID; it cannot become CANCELLED"),
    "rejected": errors.Rejected("reset token is invalid"),
    "invalid": UnknownProduct(7),
    "forbidden": errors.Forbidden("not your order"),
    "unauthenticated": errors.Unauthenticated("invalid username or password"),
    "upstream": errors.UpstreamUnavailable("user-auth"),
    "bare": errors.DomainError("a kind nobody gave it"),
}

router = APIRouter()


@router.get("/raise/{name}")
async def raising(name: str) -> None:
    raise RAISED[name]


@router.get("/admin-only", dependencies=[Depends(require_roles("ADMIN"))])
async def admin_only() -> str:
    return "yes"


def refuse(_settings: ServiceSettings) -> Wiring:
    raise AssertionError("a test app must not open the real stores")


create_app = service_app(ServiceSettings, title="svc", routers=[router], wire=refuse)
AUTH = TestAuth(ServiceSettings, service_name="svc")


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(AUTH.settings, bus="fake bus"), raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("name", "status", "header"),
    [
        ("not-found", 404, None),
        ("conflict", 409, None),
        ("rejected", 400, None),
        ("invalid", 422, None),
        ("forbidden", 403, None),
        ("unauthenticated", 401, ("www-authenticate", "Bearer")),
        ("upstream", 503, ("retry-after", "5")),
    ],
)
def test_each_kind_is_answered_with_its_status(
    client: TestClient, name: str, status: int, header: tuple[str, str] | None
) -> None:
    answer = client.get(f"/raise/{name}")
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == str(RAISED[name])
    if header:
        assert answer.headers[header[0]] == header[1]


def test_messages_and_field_errors() -> None:
    assert str(OrderNotFound(7)) == "order 7 not found"
    unavailable = errors.UpstreamUnavailable("user-auth")
    assert str(unavailable) == "user-auth is unavailable; try again later"
    body = TestClient(create_app(AUTH.settings, bus="b")).get("/raise/invalid").json()
    assert body["errors"] == [
        {"field": "items", "message": "product 7 is not for sale", "productId": 7}
    ]


class SkuTaken(errors.Conflict):
    message = "sku {!r} is already used"


class EmailTaken(errors.Conflict):
    message = "email is already registered"


class UnknownRole(errors.InvalidInput):
    message = "unknown role {!r}"


def test_a_kinds_message_is_fixed_or_filled_from_its_arguments() -> None:
    assert str(SkuTaken("A-1")) == "sku 'A-1' is already used"
    assert str(EmailTaken()) == "email is already registered"
    assert SkuTaken("A-1").args == ("sku 'A-1' is already used",)
    role = UnknownRole("root", field="roles")
    assert role.field_errors() == [{"field": "roles", "message": "unknown role 'root'"}]
    assert str(errors.Conflict("as given")) == "as given"  # no `message`: the arguments


def test_found_passes_what_a_look_up_found_and_raises_the_kind_for_nothing() -> None:
    assert errors.found(0, OrderNotFound, 7) == 0  # falsy but found
    with pytest.raises(OrderNotFound, match="order 7 not found") as raised:
        errors.found(None, OrderNotFound, 7)
    assert raised.value.key == 7


def test_a_domain_error_of_no_kind_is_a_500(client: TestClient) -> None:
    answer = client.get("/raise/bare")
    assert answer.status_code == 500 and "a kind nobody gave it" not in answer.text


def test_test_auth_signs_tokens_the_settings_verify(client: TestClient) -> None:
    assert client.get("/admin-only", headers=AUTH.bearer(9, "ADMIN")).json() == "yes"
    assert client.get("/admin-only", headers=AUTH.bearer(1)).status_code == 403
    assert client.get("/admin-only").status_code == 401
