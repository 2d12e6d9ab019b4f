"""The ECOM_* environment of a service container: the local runtime's, readdressed.

`ecomctl.runtime.services.service_env` is the one definition of a service's
configuration. Inside compose, 127.0.0.1 is the container itself, so every
address it names is rewritten to `<compose service>:<container port>`: infra
by the port its container listens on (not the published one; Kafka by its
INTERNAL listener, which advertises `kafka:19092` to other containers),
services by their stack port (a service container listens on it unchanged).
To rewrite exactly, `service_env` is asked for addresses on a sentinel host,
and every `sentinel:port` is then mapped (a `X_HOST`/`X_PORT` pair too, as for
SMTP); one left over fails loudly, so a new variable in `service_env` can never
leak a host-only address into a container.

`ECOM_HOST` becomes the service's own compose name: uvicorn binds 0.0.0.0 (the
image's command), and the kit registers `http://ECOM_HOST:ECOM_PORT` with the
registry, which is how other containers reach it. The JWT secret is left to
the compose `env_file`, so the compose file holds no secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ALL_INTERFACES
from ecomctl.stack.model import Stack

SENTINEL_HOST = "ecomctl-container-address.invalid"
_ADDRESS = re.compile(re.escape(SENTINEL_HOST) + r":(\d+)")
_INTERNAL_LISTENER = re.compile(r"INTERNAL://([^:,\s]+):(\d+)")
# Workspace secrets and host paths: never in a compose file (docker runtime: not wired yet).
SECRET_KEYS = ("ECOM_CLIENT_SECRET", "ECOM_JWT_KEYS_FILE", "ECOM_SERVICE_CLIENTS_FILE")


def container_env(name: str, stack: Stack, infra_addresses: Mapping[int, str]) -> dict[str, str]:
    """The environment of service `name`'s container.

    `infra_addresses` maps each stack port of the infrastructure (main and extra
    ports, before any offset) to the `host:port` other containers use for it.
    """
    from ecomctl.runtime.services import GATEWAY_KIND, service_env

    spec = stack.services[name]
    env = service_env(name, stack, port_offset=0, host=SENTINEL_HOST)
    by_port = {**infra_addresses, **_service_addresses(stack)}

    def address(port: int) -> str:
        if port not in by_port:
            raise ComponentFailed(name, f"no container address for port {port} in its environment")
        return by_port[port]

    fixed = {key: _ADDRESS.sub(lambda m: address(int(m.group(1))), v) for key, v in env.items()}
    if "ECOM_REGISTRY_ALLOWED_HOSTS" in fixed:  # instances register by their compose names
        fixed["ECOM_REGISTRY_ALLOWED_HOSTS"] = json.dumps(sorted(stack.services))
    _split_host_port_pairs(fixed, address)
    leftover = sorted(key for key, value in fixed.items() if SENTINEL_HOST in value)
    if leftover:
        raise ComponentFailed(name, f"no container address for {', '.join(leftover)}")
    # The gateway's own launcher (Granian) binds ECOM_HOST and takes only an IP address; it
    # registers nowhere, so it listens on every interface of its container instead.
    fixed["ECOM_HOST"] = ALL_INTERFACES if spec.template == GATEWAY_KIND else name
    fixed["ECOM_PORT"] = str(spec.port)
    for key in SECRET_KEYS:
        fixed.pop(key, None)
    return fixed


def _split_host_port_pairs(env: dict[str, str], address: Callable[[int], str]) -> None:
    """`X_HOST=<sentinel>` with `X_PORT=<stack port>` (SMTP): both from the container address."""
    for key, value in list(env.items()):
        port_key = key.removesuffix("_HOST") + "_PORT"
        if value != SENTINEL_HOST or not key.endswith("_HOST") or port_key not in env:
            continue
        host, _, port = address(int(env[port_key])).rpartition(":")
        env[key], env[port_key] = host, port


def _service_addresses(stack: Stack) -> dict[int, str]:
    """A service container listens on its stack port, reached by its compose name."""
    return {s.port: f"{name}:{s.port}" for name, s in stack.services.items() if s.enabled}


def infra_addresses(
    name: str, service: Mapping[str, Any], *, main_port: int, port_offset: int
) -> dict[int, str]:
    """Stack port -> how other containers reach it, from infra `name`'s rendered service.

    Each published port maps to `name:<container port>`; for the main port an
    INTERNAL listener advertised in the environment wins (Kafka: `kafka:19092`,
    since its HOST listener advertises 127.0.0.1, useless from another container).
    """
    addresses: dict[int, str] = {}
    for entry in service.get("ports") or []:
        if isinstance(entry, Mapping):
            stack_port = int(entry["published"]) - port_offset
            addresses[stack_port] = f"{name}:{int(entry['target'])}"
    environment = service.get("environment")
    if isinstance(environment, Mapping):
        advertised = str(environment.get("KAFKA_ADVERTISED_LISTENERS", ""))
        internal = _INTERNAL_LISTENER.search(advertised)
        if internal:
            addresses[main_port] = f"{internal.group(1)}:{internal.group(2)}"
    if main_port not in addresses:
        raise ComponentFailed(name, f"its compose service publishes no port for {main_port}")
    return addresses
