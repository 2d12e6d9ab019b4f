"""FerretDB, Mailpit and localstripe: command lines, go/pip environments, manifests, compose.

No servers and no registries: go and pip are never run here (tests/integration does).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ecomctl.errors import ComponentFailed
from ecomctl.infra.component import ComponentContext, Installation
from ecomctl.infra.components import mongo as mongo_mod
from ecomctl.infra.components import smtp as smtp_mod
from ecomctl.infra.components import stripe as stripe_mod
from ecomctl.infra.provision import gobuild, pyvenv
from ecomctl.infra.provision.maven import write_manifest
from ecomctl.infra.registry import get_component
from ecomctl.stack.model import Stack

OFFSET = 31000


def make_ctx(
    name: str,
    tmp_path: Path,
    *,
    installation: Installation | None = None,
    ports: dict[str, int] | None = None,
) -> ComponentContext:
    stack = Stack.model_validate(
        {
            "name": "shop",
            "infra": {
                "mongo": {"port": 27017},
                "smtp": {"port": 1025, "extra_ports": {"http": 8025}},
                "stripe": {"port": 12111},
            },
        }
    )
    spec = stack.infra[name]
    return ComponentContext(
        name=name,
        spec=spec,
        stack=stack,
        port=spec.port + OFFSET,
        ports=ports if ports is not None else {k: p + OFFSET for k, p in spec.extra_ports.items()},
        host="127.0.0.1",
        data_dir=tmp_path / "data" / name,
        run_dir=tmp_path / "run" / name,
        log_file=tmp_path / f"{name}.log",
        installation=installation,
    )


def installed(name: str, **paths: str) -> Installation:
    return Installation(name, "1.0.0", "go", paths)


# --- gobuild ---------------------------------------------------------------


def test_go_env_puts_caches_under_the_ecomctl_cache(tmp_path: Path) -> None:
    env = gobuild.go_env(tmp_path, base={"PATH": "/usr/bin", "GOFLAGS": "-mod=mod"})
    assert env["GOMODCACHE"] == str(tmp_path / "go" / "mod")
    assert env["GOCACHE"] == str(tmp_path / "go" / "build")
    assert env["GOPATH"] == str(tmp_path / "go" / "path")
    assert env["GOTOOLCHAIN"] == "local"
    assert env["GOFLAGS"].split() == ["-mod=mod", "-modcacherw"]
    assert env["GOTELEMETRY"] == "off"
    assert env["PATH"] == "/usr/bin"


def test_go_env_keeps_caches_the_user_chose(tmp_path: Path) -> None:
    base = {"GOMODCACHE": "/mine/mod", "GOCACHE": "/mine/build", "GOTOOLCHAIN": "auto"}
    env = gobuild.go_env(tmp_path, base=base)
    assert (env["GOMODCACHE"], env["GOCACHE"], env["GOTOOLCHAIN"]) == (
        "/mine/mod",
        "/mine/build",
        "auto",
    )
    assert env["GOFLAGS"] == "-modcacherw"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("go1.26.8\n", (1, 26)), ("go1.24", (1, 24)), ("devel go1.27-abc", (1, 27)), ("", None)],
)
def test_parse_go_version(text: str, expected: tuple[int, int] | None) -> None:
    assert gobuild.parse_go_version(text) == expected


def test_missing_go_is_a_component_failure_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gobuild.shutil, "which", lambda name: None)
    with pytest.raises(ComponentFailed) as caught:
        gobuild.find_go("mongo")
    assert "`go` was not found" in str(caught.value)
    assert caught.value.hint == gobuild.GO_HINT


def test_old_go_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gobuild.shutil, "which", lambda name: "/usr/bin/go")
    monkeypatch.setattr(gobuild, "go_version", lambda go: (1, 19))
    with pytest.raises(ComponentFailed, match=r"go 1\.19 is too old, need 1\.24\+"):
        gobuild.find_go("smtp")


def test_install_and_build_argv() -> None:
    assert gobuild.install_argv("go", "example.com/x", "v1.2.3", ["-X a.B=c"]) == [
        "go",
        "install",
        "-v",
        "-trimpath",
        "-ldflags=-X a.B=c",
        "example.com/x@v1.2.3",
    ]
    argv = gobuild.build_argv("go", "./cmd/x", Path("/out/x"))
    assert argv[:2] == ["go", "build"]
    assert "-buildvcs=false" in argv
    assert argv[-3:] == ["-o", "/out/x", "./cmd/x"]
    assert not any(a.startswith("-ldflags") for a in argv)


# --- pyvenv ----------------------------------------------------------------


def test_venv_and_pip_argv(tmp_path: Path) -> None:
    assert pyvenv.venv_argv(tmp_path / "v", "/usr/bin/python3") == [
        "/usr/bin/python3",
        "-m",
        "venv",
        "--clear",
        str(tmp_path / "v"),
    ]
    python = pyvenv.venv_python(tmp_path / "v")
    assert python == tmp_path / "v" / "bin" / "python"
    argv = pyvenv.pip_install_argv(python, ["localstripe==1.15.10"])
    assert argv[:4] == [str(python), "-m", "pip", "install"]
    assert argv[-1] == "localstripe==1.15.10"


def test_a_failing_venv_step_is_a_component_failure(tmp_path: Path) -> None:
    with pytest.raises(ComponentFailed) as caught:
        pyvenv.create_venv(
            "stripe",
            tmp_path / "v",
            ["x"],
            progress=lambda line: None,
            base_python=str(tmp_path / "no-such-python"),
        )
    assert caught.value.component == "stripe"


# --- mongo (FerretDB) -------------------------------------------------------


def test_ferretdb_argv_sqlite_loopback_no_debug_listener(tmp_path: Path) -> None:
    ctx = make_ctx("mongo", tmp_path)
    argv = mongo_mod.ferretdb_argv(Path("/bin/ferretdb"), ctx)
    assert argv[0] == "/bin/ferretdb"
    assert "--handler=sqlite" in argv
    assert f"--sqlite-url=file:{ctx.data_dir / 'sqlite'}/?_pragma=synchronous(normal)" in argv
    assert f"--listen-addr=127.0.0.1:{27017 + OFFSET}" in argv
    assert "--debug-addr=" in argv  # FerretDB's 127.0.0.1:8088 default would clash
    assert "--telemetry=disable" in argv


def test_ferretdb_debug_listener_on_a_named_port(tmp_path: Path) -> None:
    ctx = make_ctx("mongo", tmp_path, ports={"debug": 38088})
    assert "--debug-addr=127.0.0.1:38088" in mongo_mod.ferretdb_argv(Path("f"), ctx)


def test_ferretdb_version_parsing_and_fit() -> None:
    text = "version: v1.24.2\ncommit: unknown\nbranch: unknown\n"
    assert mongo_mod.parse_ferretdb_version(text) == "1.24.2"
    assert mongo_mod.parse_ferretdb_version("panic: Invalid build/version") is None
    assert mongo_mod.version_fits("1.24.0")
    assert not mongo_mod.version_fits("2.0.0")


def test_mongo_prepare_and_process(tmp_path: Path) -> None:
    component = get_component("mongo")
    ctx = make_ctx("mongo", tmp_path, installation=installed("mongo", bin="/c/ferretdb"))
    component.prepare(ctx)
    assert (ctx.data_dir / "sqlite").is_dir() and (ctx.data_dir / "state").is_dir()
    spec = component.process(ctx)
    assert spec.argv[0] == "/c/ferretdb" and spec.cwd == ctx.data_dir


def test_process_without_installation_says_how_to_install(tmp_path: Path) -> None:
    for name in ("mongo", "smtp", "stripe"):
        with pytest.raises(ComponentFailed, match="not installed"):
            get_component(name).process(make_ctx(name, tmp_path))


# --- locate: manifests and binaries on PATH ---------------------------------


@pytest.mark.parametrize(("name", "version"), [("mongo", "1.24.2"), ("smtp", "1.27.11")])
def test_locate_reads_the_manifest_when_nothing_is_on_path(
    name: str, version: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = mongo_mod if name == "mongo" else smtp_mod
    monkeypatch.setattr(module.shutil, "which", lambda binary: None)
    component = get_component(name)
    assert component.locate(tmp_path) is None
    home = tmp_path / name / version
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "server").write_text("")
    write_manifest(home, Installation(name, version, "go", {"bin": str(home / "bin" / "server")}))
    found = component.locate(tmp_path)
    assert found is not None and (found.version, found.source) == (version, "go")


def test_locate_prefers_a_fitting_binary_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(smtp_mod.shutil, "which", lambda binary: "/usr/local/bin/mailpit")
    monkeypatch.setattr(smtp_mod, "binary_version", lambda binary: "1.28.0")
    found = get_component("smtp").locate(tmp_path)
    assert found == Installation("smtp", "1.28.0", "path", {"bin": "/usr/local/bin/mailpit"})


def test_locate_skips_an_unfitting_binary_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mongo_mod.shutil, "which", lambda binary: "/usr/bin/ferretdb")
    monkeypatch.setattr(mongo_mod, "binary_version", lambda binary: "2.1.0")
    assert get_component("mongo").locate(tmp_path) is None


# --- smtp (Mailpit) ---------------------------------------------------------


def test_mailpit_argv_binds_loopback_and_accepts_any_mail(tmp_path: Path) -> None:
    ctx = make_ctx("smtp", tmp_path)
    argv = smtp_mod.mailpit_argv(Path("/bin/mailpit"), ctx)
    assert f"--smtp=127.0.0.1:{1025 + OFFSET}" in argv
    assert f"--listen=127.0.0.1:{8025 + OFFSET}" in argv
    assert f"--database={ctx.data_dir / 'mailpit.db'}" in argv
    for flag in ("--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--disable-version-check"):
        assert flag in argv


def test_mailpit_version_parsing_and_fit() -> None:
    text = "mailpit v1.27.11 compiled with go1.26.8 on linux/amd64"
    assert smtp_mod.parse_mailpit_version(text) == "1.27.11"
    assert smtp_mod.parse_mailpit_version("mailpit dev compiled with go1.26.8") is None
    assert smtp_mod.version_fits("1.27.0") and smtp_mod.version_fits("1.30.1")
    assert not smtp_mod.version_fits("1.26.9") and not smtp_mod.version_fits("2.0.0")


def test_mailpit_install_names_its_version_in_the_binary() -> None:
    flag = smtp_mod.VERSION_LDFLAG.format(version="1.27.11")
    assert flag == "-X github.com/axllent/mailpit/config.Version=v1.27.11"


# --- stripe (localstripe) -----------------------------------------------------


def test_stripe_prepare_writes_a_launcher_that_parses(tmp_path: Path) -> None:
    component = get_component("stripe")
    python = "/c/venv/bin/python"
    ctx = make_ctx("stripe", tmp_path, installation=installed("stripe", python=python))
    component.prepare(ctx)
    launcher = ctx.run_dir / stripe_mod.LAUNCHER_NAME
    ast.parse(launcher.read_text())
    spec = component.process(ctx)
    assert spec.argv == [
        python,
        str(launcher),
        "--host=127.0.0.1",
        f"--port={12111 + OFFSET}",
        f"--state-file={ctx.data_dir / 'localstripe.pickle'}",
    ]
    assert "/tmp/localstripe.pickle" not in launcher.read_text()


def test_stripe_locate_needs_its_own_venv(tmp_path: Path) -> None:
    assert get_component("stripe").locate(tmp_path) is None


# --- compose -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "image", "ports"),
    [
        ("mongo", "mongo:7", [f"127.0.0.1:{27017 + OFFSET}:27017"]),
        (
            "smtp",
            "axllent/mailpit",
            [f"127.0.0.1:{1025 + OFFSET}:1025", f"127.0.0.1:{8025 + OFFSET}:8025"],
        ),
        ("stripe", "adrienverge/localstripe:latest", [f"127.0.0.1:{12111 + OFFSET}:8420"]),
    ],
)
def test_compose_services(name: str, image: str, ports: list[str], tmp_path: Path) -> None:
    service = get_component(name).compose_service(make_ctx(name, tmp_path))
    assert service["image"] == image
    assert service["ports"] == ports
    assert service["volumes"][0].startswith(f"{name}-data:")
    assert service["healthcheck"]["test"][0] == "CMD"


def test_compose_mongo_healthcheck_pings_with_mongosh(tmp_path: Path) -> None:
    test = get_component("mongo").compose_service(make_ctx("mongo", tmp_path))["healthcheck"]
    assert test["test"][:2] == ["CMD", "mongosh"]


def test_compose_image_can_be_overridden(tmp_path: Path) -> None:
    ctx = make_ctx("mongo", tmp_path)
    ctx = ComponentContext(**{**ctx.__dict__, "spec": ctx.spec.model_copy(update={"image": "m:6"})})
    assert get_component("mongo").compose_service(ctx)["image"] == "m:6"
