"""The workspace venv: isolated from the base interpreter, rebuilt when an old one is not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ecomctl.runtime import venv as venv_module
from ecomctl.workspace import Workspace


def _fake_installers(calls: list[list[str]]):  # type: ignore[no-untyped-def]
    """Records each command; `python -m venv DIR` leaves a bin/python and an isolated cfg."""

    def run(argv: list[str], what: str) -> None:
        calls.append(argv)
        if argv[1:3] == ["-m", "venv"]:
            target = Path(argv[-1])
            (target / "bin").mkdir(parents=True)
            (target / "bin" / "python").write_text("")
            (target / "pyvenv.cfg").write_text("include-system-site-packages = false\n")

    return run


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    recorded: list[list[str]] = []
    monkeypatch.setattr(venv_module, "_run", _fake_installers(recorded))
    monkeypatch.setattr(venv_module, "uv_binary", lambda: "/bin/uv")
    monkeypatch.setenv("ECOMCTL_KIT_DIR", str(tmp_path / "kit"))
    return recorded


def test_a_new_venv_does_not_see_the_base_interpreters_packages(
    tmp_path: Path, calls: list[list[str]]
) -> None:
    workspace = Workspace(root=tmp_path / "ws")
    venv_module.ensure_venv(workspace, [tmp_path / "svc"], lambda line: None, extras=("test",))
    assert calls[0] == [sys.executable, "-m", "venv", str(workspace.state_dir / "venv")]
    assert "--system-site-packages" not in calls[0]
    assert calls[1][-4:] == ["-e", str(tmp_path / "kit"), "-e", f"{tmp_path / 'svc'}[test]"]


def test_a_venv_made_with_system_site_packages_is_rebuilt(
    tmp_path: Path, calls: list[list[str]]
) -> None:
    workspace = Workspace(root=tmp_path / "ws")
    old = workspace.state_dir / "venv"
    (old / "bin").mkdir(parents=True)
    (old / "bin" / "python").write_text("")
    (old / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = true\n")
    said: list[str] = []
    venv_module.ensure_venv(workspace, [tmp_path / "svc"], said.append)
    assert any("without the base interpreter's packages" in line for line in said)
    assert calls[0][1:3] == ["-m", "venv"]
    assert "include-system-site-packages = false" in (old / "pyvenv.cfg").read_text()


def test_a_second_call_installs_nothing_until_a_pyproject_changes(
    tmp_path: Path, calls: list[list[str]]
) -> None:
    workspace = Workspace(root=tmp_path / "ws")
    service = tmp_path / "svc"
    service.mkdir()
    (service / "pyproject.toml").write_text("[project]\nname = 'svc'\n")
    venv_module.ensure_venv(workspace, [service], lambda line: None)
    venv_module.ensure_venv(workspace, [service], lambda line: None)
    assert len(calls) == 2  # venv + one install
    (service / "pyproject.toml").write_text("[project]\nname = 'svc'\ndependencies = ['x']\n")
    venv_module.ensure_venv(workspace, [service], lambda line: None)
    assert len(calls) == 3
