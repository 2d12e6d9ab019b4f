"""Stripe API emulator: localstripe from PyPI, in its own virtualenv, behind a tiny launcher.

localstripe's own CLI binds every interface (`::`) and keeps its state in
/tmp/localstripe.pickle, shared by every instance on the machine. So ecomctl
runs it through a launcher (written into run_dir) that serves the same
aiohttp app on 127.0.0.1 only and moves the state file into data_dir, so two
stacks never share or clobber each other's payments.

How it answers (localstripe 1.15.10, checked by the integration tests):
- any key starting `sk_test_` authenticates (Basic user or Bearer); none gives 401;
- a card number is accepted when the payment method is created; a charge or a
  confirmed PaymentIntent with 4242424242424242 succeeds;
- 4000000000000341 is declined at charge time with HTTP 402
  `{"error": {"code": "card_declined", ...}}`: use it for the payment-failure saga,
  as it behaves the same on real Stripe;
- 4000000000000002 is declined only when it is attached to a customer (402
  card_declined); charged directly it SUCCEEDS here, unlike on real Stripe.
"""

from __future__ import annotations

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
from ecomctl.infra.provision.maven import read_manifest, write_manifest
from ecomctl.infra.provision.pyvenv import VENV_HINT, create_venv, distribution_version

DISTRIBUTION = "localstripe"
DEFAULT_VERSION = "1.15.10"
DEFAULT_IMAGE = "adrienverge/localstripe:latest"
IMAGE_PORT = 8420  # localstripe's own default port, used by its image
TEST_SECRET_KEY = "sk_test_ecomctl"  # localstripe accepts any sk_test_ key
CARD_OK = "4242424242424242"
CARD_DECLINED_AT_CHARGE = "4000000000000341"
CARD_DECLINED_ON_ATTACH = "4000000000000002"
LAUNCHER_NAME = "localstripe_launcher.py"

# Runs inside localstripe's venv, so it may import nothing from ecomctl.
LAUNCHER = '''\
"""Written by ecomctl: serve localstripe on one address, its state in one file."""
import argparse
import asyncio
import logging
import os
import pickle

from aiohttp import web
from localstripe import resources
from localstripe.server import app


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-file", required=True)
    args = parser.parse_args()
    state_file = args.state_file

    def load(store):
        try:
            with open(state_file, "rb") as f:
                saved = pickle.load(f)
        except FileNotFoundError:
            return
        store.clear()
        dict.update(store, saved)

    def write(store):
        partial = state_file + ".partial"
        with open(partial, "wb") as f:
            pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, state_file)  # a crash never leaves a torn state file

    pending = []  # the scheduled flush, if any
    saver = []  # the pid of the child writing a snapshot, if any
    dirty = []  # changes not in a snapshot yet

    def save_in_background(store):
        # Like Redis' BGSAVE: a forked child pickles its copy-on-write view of the store and
        # exits, so the event loop never stops for the dump. Pickling the whole store in
        # the server took 100+ ms once it held a few thousand charges, once a second.
        pid = os.fork()
        if pid == 0:
            try:
                write(store)
            finally:
                os._exit(0)
        saver.append(pid)
        dirty.clear()

    def flush(store):
        pending.clear()
        if saver and os.waitpid(saver[0], os.WNOHANG)[0] == 0:
            # The last snapshot is still being written: take the next one after it.
            pending.append(asyncio.get_running_loop().call_later(1.0, flush, store))
            return
        saver.clear()
        save_in_background(store)

    def dump(store):
        # localstripe calls this after every write; pickling the whole store each time
        # made every charge slower than the last. Writes within 1 s share one snapshot.
        if loading:
            return
        dirty.append(True)
        if pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            write(store)
            dirty.clear()
            return
        pending.append(loop.call_later(1.0, flush, store))

    async def flush_on_exit(_app):
        if pending:
            pending[0].cancel()
            pending.clear()
        if saver:
            os.waitpid(saver[0], 0)
            saver.clear()
        if dirty:
            write(resources.store)

    # localstripe lists the objects of a type by scanning its whole store, and does so
    # three times whenever it returns a charge (its refunds): each charge was slower
    # than the last. The same lists, from an index of the store's keys by type.
    by_type = {}

    def index(store):
        by_type.clear()
        for key, value in store.items():
            by_type.setdefault(key.split(":", 1)[0], {})[key] = value

    def setitem(store, key, value):
        dict.__setitem__(store, key, value)
        by_type.setdefault(key.split(":", 1)[0], {})[key] = value
        store.dump_to_disk()

    def delitem(store, key):
        dict.__delitem__(store, key)
        by_type.get(key.split(":", 1)[0], {}).pop(key, None)
        store.dump_to_disk()

    def list_all(cls, url, limit=None, starting_after=None, **kwargs):
        if kwargs:
            raise resources.UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        found = resources.List(url, limit=limit, starting_after=starting_after)
        found._list = list(by_type.get(cls.object, {}).values())
        return found

    loading = []

    def load_and_index(store):
        loading.append(True)  # unpickling the store sets every item: no dump for each
        try:
            load(store)
        finally:
            loading.clear()
        index(store)

    resources.Store.try_load_from_disk = load_and_index
    resources.Store.dump_to_disk = dump
    resources.Store.__setitem__ = setitem
    resources.Store.__delitem__ = delitem
    resources.StripeObject._api_list_all = classmethod(list_all)
    app.on_cleanup.append(flush_on_exit)
    resources.store.try_load_from_disk()
    access_log = logging.getLogger("aiohttp.access")
    access_log.setLevel(logging.INFO)
    access_log.addHandler(logging.StreamHandler())
    web.run_app(app, host=args.host, port=args.port, access_log=access_log)


main()
'''


def launcher_path(ctx: ComponentContext) -> Path:
    return ctx.run_dir / LAUNCHER_NAME


def state_file(ctx: ComponentContext) -> Path:
    return ctx.data_dir / "localstripe.pickle"


def launcher_argv(python: Path, ctx: ComponentContext) -> list[str]:
    return [
        str(python),
        str(launcher_path(ctx)),
        f"--host={bind_host(ctx)}",
        f"--port={ctx.port}",
        f"--state-file={state_file(ctx)}",
    ]


def api_url(host: str, port: int) -> str:
    return f"http://{host}:{port}"


class StripeComponent(InfraComponent):
    name = "stripe"
    description = "Stripe API emulator (localstripe)"
    default_port = 12111
    ready_timeout_s = 30.0

    def install_home(self, cache_dir: Path) -> Path:
        return cache_dir / self.name / DEFAULT_VERSION

    def locate(self, cache_dir: Path) -> Installation | None:
        # A `localstripe` on PATH is not used: its CLI binds every interface.
        return read_manifest(self.install_home(cache_dir))

    def install(self, cache_dir: Path, progress: ProgressFn) -> Installation:
        home = self.install_home(cache_dir)
        venv = home / "venv"
        python = create_venv(
            self.name, venv, [f"{DISTRIBUTION}=={DEFAULT_VERSION}"], progress=progress
        )
        version = distribution_version(python, DISTRIBUTION)
        if version != DEFAULT_VERSION:
            raise ComponentFailed(self.name, f"pip installed {DISTRIBUTION} {version}")
        installation = Installation(
            self.name, DEFAULT_VERSION, "pip", {"python": str(python), "venv": str(venv)}
        )
        write_manifest(home, installation)
        progress(f"localstripe {DEFAULT_VERSION} installed in {venv}")
        return installation

    def install_hint(self) -> str:
        return f"run `ecomctl infra install stripe` ({VENV_HINT})"

    def prepare(self, ctx: ComponentContext) -> None:
        ctx.data_dir.mkdir(parents=True, exist_ok=True)
        ctx.run_dir.mkdir(parents=True, exist_ok=True)
        launcher_path(ctx).write_text(LAUNCHER)

    def process(self, ctx: ComponentContext) -> ProcessSpec:
        if ctx.installation is None:
            raise ComponentFailed(self.name, "not installed", hint=self.install_hint())
        python = ctx.installation.path("python")
        return ProcessSpec(
            argv=launcher_argv(python, ctx),
            env={"PYTHONUNBUFFERED": "1"},  # the access log reaches the log file as it happens
            cwd=ctx.data_dir,
        )

    def check_ready(self, ctx: ComponentContext) -> None:
        url = f"{api_url(ctx.host, ctx.port)}/v1/customers"
        try:
            response = httpx.get(url, params={"limit": "1"}, auth=(TEST_SECRET_KEY, ""), timeout=3)
        except httpx.HTTPError as exc:
            raise NotReady(str(exc)) from exc
        if response.status_code != 200:
            raise NotReady(f"GET {url} answered {response.status_code}")

    def compose_service(self, ctx: ComponentContext) -> dict[str, Any]:
        probe = (
            "import urllib.request as u; u.urlopen(u.Request("
            f"'http://127.0.0.1:{IMAGE_PORT}/v1/customers', "
            f"headers={{'Authorization': 'Bearer {TEST_SECRET_KEY}'}}), timeout=3)"
        )
        return {
            "image": ctx.spec.image or DEFAULT_IMAGE,
            "ports": [f"127.0.0.1:{ctx.port}:{IMAGE_PORT}"],
            "volumes": [f"{ctx.name}-data:/tmp"],  # the image keeps its state in /tmp
            "healthcheck": {
                "test": ["CMD", "python", "-c", probe],
                "interval": "5s",
                "timeout": "5s",
                "retries": 20,
            },
        }
