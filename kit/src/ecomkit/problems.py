"""Errors a route may raise; the web app renders them as problem+json (RFC 9457)."""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """An error with an HTTP status; `errors` carries per-field details (e.g. validation)."""

    default_status: ClassVar[int] = 500
    default_title: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        status: int | None = None,
        title: str | None = None,
        detail: str | None = None,
        type: str = "about:blank",
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status if status is not None else self.default_status
        self.title = title if title is not None else self.default_title
        self.detail = detail
        self.type = type
        self.errors = errors
        self.headers = headers or {}
        super().__init__(detail or self.title)

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail is not None:
            body["detail"] = self.detail
        if instance is not None:
            body["instance"] = instance
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class NotFound(Problem):
    default_status = 404
    default_title = "Not Found"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, kwargs.pop("title", None), detail, **kwargs)


class Conflict(Problem):
    default_status = 409
    default_title = "Conflict"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, kwargs.pop("title", None), detail, **kwargs)


class Unauthorized(Problem):
    default_status = 401
    default_title = "Unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(None, kwargs.pop("title", None), detail, **kwargs)


class Forbidden(Problem):
    default_status = 403
    default_title = "Forbidden"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, kwargs.pop("title", None), detail, **kwargs)


class UnprocessableEntity(Problem):
    default_status = 422
    default_title = "Unprocessable Entity"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, kwargs.pop("title", None), detail, **kwargs)


class ServiceUnavailable(Problem):
    default_status = 503
    default_title = "Service Unavailable"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, kwargs.pop("title", None), detail, **kwargs)
