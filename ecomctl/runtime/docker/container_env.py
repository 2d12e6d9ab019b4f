"""The ECOM_* environment of a service container: the local runtime's, readdressed.

`ecomctl.runtime.services.service_env` is the one definition of a service's
configuration. Inside compose, 127.0.0.1 is the container itself, so every
address it names is rewritten to `<compose service>:<container port>`: infra
by the port its container listens on (not the published one; Kafka by its
INTERNAL listener, which advertises `kafka:19092` to other containers),
services by their stack port (a service container listens on it unchanged).
To rewrite exactly, `service_env` is asked for addresses on a sentinel host,
and every `sentinel:port` is then mapped; one left over fails loudly, so a new
variable in `service_env` can never leak a host-only address into a container.

`ECOM_HOST` becomes the service's own compose name: uvicorn binds 0.0.0.0 (the
image's command), and the kit registers `http://ECOM_HOST:ECOM_PORT` with the
registry, which is how other containers reach it. The JWT secret is left to
the compose `env_file`, so the compose file holds no secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ecomctl.errors import ComponentFailed
from ecomctl.stack.model import Stack

SENTINEL_HOST = "ecomctl-container-address.invalid"
_ADDRESS = re.compile(re.escape(SENTINEL_HOST) + r":(\d+)")
_INTERNAL_LISTENER = re.compile(r"INTERNAL://([^:,\s]+):(\d+)")
SECRET_KEYS = ("ECOM_JWT_SECRET",)


def container_env(name: str, stack: Stack, infra_addresses: Mapping[str, str]) -> dict[str, str]:
    """The environment of service `name`'s container; `infra_addresses` maps infra to host:port."""
    from ecomctl.runtime.services import service_env

    spec = stack.services[name]
    env = service_env(name, stack, port_offset=0, jwt_secret="", host=SENTINEL_HOST)
    by_port = _addresses_by_stack_port(stack, infra_addresses)

    def readdress(match: re.Match[str]) -> str:
        port = int(match.group(1))
        if port not in by_port:
            raise ComponentFailed(name, f"no container address for port {port} in its environment")
        return by_port[port]

    fixed = {key: _ADDRESS.sub(readdress, value) for key, value in env.items()}
    fixed["ECOM_HOST"] = name
    fixed["ECOM_PORT"] = str(spec.port)
    for key in SECRET_KEYS:
        fixed.pop(key, None)
    return fixed


def _addresses_by_stack_port(stack: Stack, infra: Mapping[str, str]) -> dict[int, str]:
    addresses = {spec.port: infra[n] for n, spec in stack.enabled_infra().items() if n in infra}
    for service, spec in stack.services.items():
        if spec.enabled:
            addresses[spec.port] = f"{service}:{spec.port}"
    return addresses


def infra_address(name: str, service: Mapping[str, object], published_port: int) -> str:
    """How other containers reach infra `name` from its rendered compose service.

    An INTERNAL listener advertised in its environment wins (Kafka: `kafka:19092`;
    the HOST listener advertises 127.0.0.1, useless from another container);
    otherwise the container port that `published_port` maps to.
    """
    environment = service.get("environment")
    if isinstance(environment, Mapping):
        advertised = str(environment.get("KAFKA_ADVERTISED_LISTENERS", ""))
        internal = _INTERNAL_LISTENER.search(advertised)
        if internal:
            return f"{internal.group(1)}:{internal.group(2)}"
    for entry in service.get("ports") or []:  # type: ignore[attr-defined]
        if isinstance(entry, Mapping) and int(entry["published"]) == published_port:
            return f"{name}:{int(entry['target'])}"
    raise ComponentFailed(name, f"its compose service publishes no port {published_port}")
