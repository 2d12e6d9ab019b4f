"""`ecomctl search reindex` and `ecomctl search top`: product-search's own commands.

- reindex: a new index from the catalog's database, the events written meanwhile caught
  up, the alias swapped in one request (service_layer/reindex.py in the template says how
  no write is lost);
- top: the most frequent and the zero-result queries of the last hours, which the service
  counts in Redis (adapters/query_log.py).

The service knows its definition files, documents, events and Redis keys; ecomctl runs
`python -m product_search.entrypoints.cli <command> --json` with the workspace
virtualenv's python and the ECOM_* environment `up` gives the service (plus, for a
reindex, the catalog's database URL), and passes its progress lines on.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

from ecomctl.errors import UsageError, UserError
from ecomctl.operations import Target
from ecomctl.search.status import CATALOG_TEMPLATE, SEARCH_TEMPLATE

MODULE = "entrypoints.cli"  # inside the service's package
# The command's exit codes (templates/product-search/.../entrypoints/cli.py).
_FAILED, _USAGE, _UNREACHABLE = 1, 2, 3


def reindex(*, tgt: Target, progress: Callable[[str], None]) -> dict[str, Any]:
    """Runs product-search's reindex against the running stack; its JSON report."""
    from ecomctl.migrate.url import service_url
    from ecomctl.scenarios.endpoints import port_offset

    catalog = _service_of(tgt, CATALOG_TEMPLATE)
    if not tgt.stack.services[catalog].database:
        raise UserError(f"{catalog} has no database in this stack to build the index from")
    url = service_url(tgt.stack, catalog, port_offset=port_offset(tgt.workspace))
    return _service_command(tgt, ["reindex"], {"ECOM_CATALOG_DATABASE_URL": str(url)}, progress)


def top(*, tgt: Target, hours: int, limit: int) -> dict[str, Any]:
    """The queries product-search counted; its JSON answer."""
    args = ["top", "--hours", str(hours), "--limit", str(limit)]
    return _service_command(tgt, args, {}, lambda _line: None)


def _service_command(
    tgt: Target, args: list[str], extra_env: dict[str, str], progress: Callable[[str], None]
) -> dict[str, Any]:
    from ecomctl.runtime.local.processes import inherited_env
    from ecomctl.runtime.services import service_env
    from ecomctl.scenarios.endpoints import port_offset
    from ecomctl.users import installed_service

    search = _service_of(tgt, SEARCH_TEMPLATE)
    installed = installed_service(tgt.workspace, tgt.stack, search, progress)
    env = inherited_env() | service_env(search, tgt.stack, port_offset=port_offset(tgt.workspace))
    argv = [str(installed.path("python")), "-m", f"{installed.paths['package']}.{MODULE}"]
    argv += [*args, "--json"]
    done = _run(argv, env | extra_env, str(installed.path("source")), progress)
    if done.returncode != 0:
        raise _explain(done.returncode, done.stderr, search, args[0])
    try:
        answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise UserError(f"{search}'s {args[0]} answered no JSON: {done.stdout[-200:]!r}") from None
    return answer


def _service_of(tgt: Target, template: str) -> str:
    found = [n for n, s in tgt.stack.services.items() if s.template == template and s.enabled]
    if not found:
        raise UsageError(f"the stack has no enabled {template} service")
    return found[0]


def _run(
    argv: list[str], env: dict[str, str], cwd: str, progress: Callable[[str], None]
) -> subprocess.CompletedProcess[str]:
    """The command with its stderr lines passed to `progress` as they come."""
    lines: list[str] = []
    with subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None and process.stdout is not None
        for line in process.stderr:
            lines.append(line)
            progress(line.rstrip())
        stdout = process.stdout.read()
        process.wait()  # a reindex takes as long as the catalog is big; Ctrl-C stops it
    return subprocess.CompletedProcess(argv, process.returncode, stdout, "".join(lines))


def _explain(code: int, stderr: str, service: str, command: str = "reindex") -> UserError:
    lines = [line for line in stderr.strip().splitlines() if line.startswith("error: ")]
    message = lines[-1].removeprefix("error: ") if lines else f"{service} exit {code}"
    if code == _UNREACHABLE:
        return UserError(message, hint="is the stack up? `ecomctl status`")
    if code == _USAGE:
        return UsageError(message)
    tail = "" if lines else "\n" + "\n".join(stderr.strip().splitlines()[-5:])
    return UserError(f"{command} failed: {message}{tail}")
