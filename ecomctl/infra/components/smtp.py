"""SMTP sink with an HTTP API: Mailpit, installed with `go install` from the Go module proxy.

Built that way Mailpit has no web UI (its assets are built by npm upstream)
but its SMTP server and REST API are complete, which is what services and
scenarios use. It accepts any mail, with or without AUTH, and no TLS, like a
developer's sink should.
"""

from __future__ import annotations

import re
import shutil
import smtplib
import subprocess
from pathlib import Path
from typing import Any

import httpx

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import (
    ComponentContext,
    InfraComponent,
    Installation,
    NotReady,
    ProcessSpec,
    ProgressFn,
    bind_host,
)
from ecomctl.infra.provision.gobuild import GO_HINT, go_install
from ecomctl.infra.provision.maven import read_manifest, write_manifest

PACKAGE = "github.com/axllent/mailpit"
DEFAULT_VERSION = "1.27.11"
DEFAULT_IMAGE = "axllent/mailpit"
DEFAULT_HTTP_PORT = 8025
# Mailpit drops the oldest mail beyond this; its default (500) is low for a load test.
MAX_MESSAGES = 10_000
# Without this -X the binary calls itself "dev"; Mailpit's own release build sets it the same way.
VERSION_LDFLAG = "-X github.com/axllent/mailpit/config.Version=v{version}"
_VERSION = re.compile(r"v(\d+\.\d+\.\d+)")


def http_port(ctx: ComponentContext) -> int:
    return ctx.ports.get("http", DEFAULT_HTTP_PORT)


def api_url(host: str, port: int) -> str:
    """Base URL of Mailpit's REST API (and UI when it has one)."""
    return f"http://{host}:{port}"


def mailpit_argv(binary: Path, ctx: ComponentContext) -> list[str]:
    return [
        str(binary),
        f"--smtp={bind_host(ctx)}:{ctx.port}",
        f"--listen={bind_host(ctx)}:{http_port(ctx)}",
        f"--database={ctx.data_dir / 'mailpit.db'}",
        f"--max={MAX_MESSAGES}",
        "--smtp-auth-accept-any",  # a service configured with credentials still gets in
        "--smtp-auth-allow-insecure",  # ... over plain SMTP, as there is no TLS
        "--smtp-disable-rdns",  # no DNS lookups for 127.0.0.1 clients
        "--disable-version-check",  # it would call out to the internet at start
    ]


def parse_mailpit_version(text: str) -> str | None:
    """The version from `mailpit version` ("mailpit v1.27.11 compiled with ..."); None for dev."""
    match = _VERSION.search(text)
    return match.group(1) if match else None


def version_fits(version: str) -> bool:
    """1.27 or a later 1.x: the flags above and API v1 are stable across them."""
    major, minor = (int(part) for part in version.split(".")[:2])
    return major == 1 and minor >= 27


def binary_version(binary: Path) -> str | None:
    try:
        done = subprocess.run(
            [str(binary), "version", "--no-release-check"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_mailpit_version(done.stdout + done.stderr)


def list_messages(
    base_url: str, *, query: str | None = None, limit: int = 50, timeout_s: float = 5.0
) -> list[dict[str, Any]]:
    """Newest first: summaries (ID, From, To, Subject, Snippet, ...) from Mailpit's REST API.

    `query` uses Mailpit's search syntax, e.g. `to:alice@example.com subject:"Order"`.
    """
    path, params = "/api/v1/messages", {"limit": str(limit)}
    if query:
        path, params = "/api/v1/search", {**params, "query": query}
    response = httpx.get(f"{base_url}{path}", params=params, timeout=timeout_s)
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json().get("messages") or []
    return messages


def smtp_round_trip(host: str, port: int, timeout_s: float = 3.0) -> None:
    """EHLO and NOOP; raises on anything but 250."""
    with smtplib.SMTP(host, port, timeout=timeout_s) as client:
        for command, (code, reply) in (("EHLO", client.ehlo()), ("NOOP", client.noop())):
            if code != 250:
                raise NotReady(f"SMTP {command} answered {code} {reply!r}")


class SmtpComponent(InfraComponent):
    name = "smtp"
    description = "SMTP sink with an HTTP API (Mailpit)"
    default_port = 1025
    extra_ports = {"http": DEFAULT_HTTP_PORT}  # noqa: RUF012 - read-only class default
    ready_timeout_s = 30.0

    def install_home(self, cache_dir: Path) -> Path:
        return cache_dir / self.name / DEFAULT_VERSION

    def locate(self, cache_dir: Path) -> Installation | None:
        on_path = shutil.which("mailpit")
        if on_path:
            version = binary_version(Path(on_path))
            if version and version_fits(version):
                return Installation(self.name, version, "path", {"bin": on_path})
        return read_manifest(self.install_home(cache_dir))

    def install(self, cache_dir: Path, progress: ProgressFn) -> Installation:
        home = self.install_home(cache_dir)
        binary = go_install(
            self.name,
            PACKAGE,
            f"v{DEFAULT_VERSION}",
            bin_dir=home / "bin",
            cache_dir=cache_dir,
            progress=progress,
            ldflags=[VERSION_LDFLAG.format(version=DEFAULT_VERSION)],
        )
        installation = Installation(self.name, DEFAULT_VERSION, "go", {"bin": str(binary)})
        write_manifest(home, installation)
        progress(f"Mailpit {DEFAULT_VERSION} installed into {binary}")
        return installation

    def install_hint(self) -> str:
        return (
            f"run `ecomctl infra install smtp` (it runs `go install {PACKAGE}`; {GO_HINT}), "
            "or put Mailpit 1.27+ on PATH"
        )

    def prepare(self, ctx: ComponentContext) -> None:
        ctx.data_dir.mkdir(parents=True, exist_ok=True)

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        if ctx.installation is None:
            raise ComponentFailed(self.name, "not installed", hint=self.install_hint())
        return ProcessSpec(argv=mailpit_argv(ctx.installation.path("bin"), ctx), cwd=ctx.data_dir)

    def check_ready(self, ctx: ComponentContext) -> None:
        url = f"{api_url(ctx.host, http_port(ctx))}/api/v1/info"
        try:
            response = httpx.get(url, timeout=3)
            if response.status_code != 200 or "Version" not in response.json():
                raise NotReady(f"GET {url} answered {response.status_code}")
            smtp_round_trip(ctx.host, ctx.port)
        except (httpx.HTTPError, ValueError, OSError, smtplib.SMTPException) as exc:
            raise NotReady(str(exc)) from exc

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        return {
            "image": ctx.spec.image or DEFAULT_IMAGE,
            "environment": {
                "MP_DATABASE": "/data/mailpit.db",
                "MP_MAX_MESSAGES": str(MAX_MESSAGES),
                "MP_SMTP_AUTH_ACCEPT_ANY": "1",
                "MP_SMTP_AUTH_ALLOW_INSECURE": "1",
                "MP_SMTP_DISABLE_RDNS": "1",
                "MP_DISABLE_VERSION_CHECK": "1",
            },
            "ports": [
                f"127.0.0.1:{ctx.port}:1025",
                f"127.0.0.1:{http_port(ctx)}:8025",
            ],
            "volumes": [f"{ctx.name}-data:/data"],
            "healthcheck": {
                "test": ["CMD", "/mailpit", "readyz"],
                "interval": "5s",
                "timeout": "3s",
                "retries": 20,
            },
        }
