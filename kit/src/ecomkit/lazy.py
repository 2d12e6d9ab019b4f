"""`app` built on first access: importing an entrypoint module has no side effects.

Its own module (no FastAPI, SQLAlchemy or Kafka imports) so the gateway, which keeps its
framework imports out of the hot path, can use it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

AppT = TypeVar("AppT")


def lazy_app(factory: Callable[[], AppT]) -> Callable[[str], AppT]:
    """A module `__getattr__` that builds `app` on first access (`module:app` for servers).

    Usage in a template: `__getattr__ = lazy_app(create_app)`; importing the module (tests,
    tools) then opens no connection and reads no settings.
    """
    built: list[AppT] = []

    def module_getattr(name: str) -> AppT:
        if name != "app":
            raise AttributeError(name)
        if not built:
            built.append(factory())
        return built[0]

    return module_getattr
