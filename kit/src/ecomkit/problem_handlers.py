"""Every error leaves the service as problem+json (RFC 9457), 422s with field errors."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ecomkit import errors
from ecomkit.problems import PROBLEM_MEDIA_TYPE, Problem

log = logging.getLogger(__name__)


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    body = problem.to_dict(instance=request.url.path)
    headers = dict(problem.headers)
    correlation_id = getattr(request.state, "correlation_id", None)
    if correlation_id:
        body["correlation_id"] = correlation_id
        # Set here too: the 500 handler runs outside the middleware that adds them.
        headers.setdefault("X-Correlation-ID", correlation_id)
        headers.setdefault("X-Request-ID", getattr(request.state, "request_id", correlation_id))
    return JSONResponse(
        body, status_code=problem.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "message": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in exc.errors()
    ]


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(request, exc)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    problem = Problem(exc.status_code, title, detail, headers=dict(exc.headers or {}))
    return problem_response(request, problem)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problem = Problem(
        422, "Unprocessable Entity", "the request is not valid", errors=_field_errors(exc)
    )
    return problem_response(request, problem)


# The status of each kind of domain error (ecomkit.errors), and the headers it is sent with.
DOMAIN_STATUS: dict[type[errors.DomainError], tuple[int, dict[str, str]]] = {
    errors.NotFound: (404, {}),
    errors.Conflict: (409, {}),
    errors.Rejected: (400, {}),
    errors.InvalidInput: (422, {}),
    errors.Forbidden: (403, {}),
    errors.Unauthenticated: (401, {"WWW-Authenticate": "Bearer"}),
    errors.Unavailable: (503, {"Retry-After": "5"}),
}


def domain_problem(error: errors.DomainError) -> Problem | None:
    """The problem a domain error is answered with; None for a bare DomainError (a bug)."""
    for kind in type(error).__mro__:
        if kind in DOMAIN_STATUS:
            status, headers = DOMAIN_STATUS[kind]
            field_errors = error.field_errors() if isinstance(error, errors.InvalidInput) else None
            title = HTTPStatus(status).phrase
            return Problem(status, title, str(error), errors=field_errors, headers=dict(headers))
    return None


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    problem = domain_problem(exc)
    if problem is None:
        return await _on_unexpected(request, exc)
    return problem_response(request, problem)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(request, Problem(500, "Internal Server Error"))


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(errors.DomainError, _on_domain_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)
