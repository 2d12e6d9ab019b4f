"""HTTP routes. Each route builds a command (or a query) and hands it to the bus."""

from __future__ import annotations

from typing import Annotated

from ecomkit.api_params import Admin, CurrentUser, Page, PageSize
from ecomkit.problems import (
    NotFound,
    Problem,
)
from ecomkit.records import record_values
from ecomkit.service import bus_of
from fastapi import APIRouter, Depends, Request, status

from user_auth.domain import commands, errors
from user_auth.domain.model import NotificationPreferences
from user_auth.entrypoints.login_gate import client_ip_of
from user_auth.entrypoints.schemas import (
    LoginRequest,
    PreferencesBody,
    RegistrationAccepted,
    RolesUpdate,
    TokenResponse,
    UserPage,
    UserResponse,
)
from user_auth.service_layer import views
from user_auth.service_layer.handlers import TokenPair
from user_auth.service_layer.login_throttle import TooManyAttempts, login_keys
from user_auth.service_layer.messagebus import MessageBus

router = APIRouter()


Bus = Annotated[MessageBus, Depends(bus_of)]


def _tokens(pair: TokenPair) -> TokenResponse:
    return TokenResponse(**record_values(pair))


@router.post("/api/auth/register", status_code=status.HTTP_202_ACCEPTED, tags=["auth"])
async def register(body: commands.NewAccount, bus: Bus) -> RegistrationAccepted:
    """The same answer whether or not the username or email is already registered (no
    enumeration): a mail to the address says what happened (a new account, or that it
    already has one). Log in to use a new account."""
    await bus.handle(commands.SignUp(body))
    return RegistrationAccepted()


@router.post("/api/auth/login", tags=["auth"])
async def login(body: LoginRequest, bus: Bus, request: Request) -> TokenResponse:
    throttle = bus.deps.throttle
    client = client_ip(request)
    user_key, ip_key = login_keys(body.username, client)
    try:
        await throttle.attempt((user_key, ip_key))  # counted as failed until it succeeds
    except TooManyAttempts as exc:
        if ip_key in exc.blocked:  # its next guesses are refused before the framework
            request.app.state.blocked_logins.block(ip_key, exc.blocked[ip_key])
        raise Problem(
            429, "Too Many Requests", str(exc), headers={"Retry-After": str(exc.retry_after_s)}
        ) from None
    try:
        pair = await bus.handle(commands.LoginUser(body.username, body.password, client))
    except errors.InvalidCredentials:
        await throttle.confirm_failure((user_key, ip_key))
        raise
    await throttle.succeeded(user_key, ip_key)
    return _tokens(pair)


def client_ip(request: Request) -> str:
    return client_ip_of(request.scope["headers"], request.scope.get("client"))


@router.post("/api/auth/refresh", tags=["auth"])
async def refresh(body: commands.RotateRefreshToken, bus: Bus) -> TokenResponse:
    return _tokens(await bus.handle(body))


@router.post("/api/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def logout(body: commands.LogoutUser, bus: Bus, request: Request) -> None:
    """Ends the refresh family and revokes the access token sent along."""
    from user_auth.entrypoints.sessions_api import revoke_bearer

    await bus.handle(body)
    await revoke_bearer(request, bus)


@router.get("/api/users/profile", tags=["users"])
async def get_profile(claims: CurrentUser, bus: Bus) -> UserResponse:
    return UserResponse.of(await views.user_by_id(bus, claims.user_id))


@router.put("/api/users/profile", tags=["users"])
async def update_profile(
    body: commands.ProfileChanges, claims: CurrentUser, bus: Bus
) -> UserResponse:
    command = commands.UpdateProfile(claims.user_id, body)
    return UserResponse.of(await bus.handle(command))


@router.put("/api/users/preferences", tags=["users"])
async def update_preferences(
    body: PreferencesBody, claims: CurrentUser, bus: Bus
) -> PreferencesBody:
    preferences = NotificationPreferences(**body.model_dump())
    command = commands.UpdatePreferences(claims.user_id, preferences)
    user = await bus.handle(command)
    return UserResponse.of(user).preferences


@router.get("/api/users", tags=["admin"])
async def list_users(
    _: Admin,
    bus: Bus,
    page: Page = 0,
    size: PageSize = 20,
) -> UserPage:
    found, total = await views.users_page(bus, page=page, size=size)
    return UserPage(items=[UserResponse.of(u) for u in found], page=page, size=size, total=total)


# Who may read any user by id: operators, and other services (product-catalog validates
# reviewers, notification reads contacts). Everyone else reads only themself.
READ_ANY_USER = ("ADMIN", "SERVICE")


@router.get("/api/users/{user_id}", tags=["users"])
async def get_user(user_id: int, claims: CurrentUser, bus: Bus) -> UserResponse:
    """A user by id: the user themself, ADMIN, or a service. Another user's id answers 404,
    exactly like an id that does not exist (no enumeration of who is registered)."""
    if claims.user_id != user_id and not any(claims.has_role(r) for r in READ_ANY_USER):
        raise NotFound(f"user {user_id} not found")
    return UserResponse.of(await views.user_by_id(bus, user_id))


@router.put("/api/users/{user_id}/roles", tags=["admin"])
async def set_roles(user_id: int, body: RolesUpdate, _: Admin, bus: Bus) -> UserResponse:
    command = commands.AssignRoles(user_id, tuple(role.upper() for role in body.roles))
    return UserResponse.of(await bus.handle(command))
