"""`python -m build` makes a wheel and an sdist a user can install without the checkout.

The wheel goes into a fresh venv in a folder outside the checkout (pinned by the CI
constraints, like every other install), and the installed `ecomctl` initialises a
workspace and lists the benchmarks from its packaged copies.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ("stacks", "migrations", "scenarios", "templates", "kit", "loadtests", "bench")

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=900,
    )
    return out


def test_the_wheel_and_the_sdist_hold_everything_a_user_needs(dist: Path) -> None:
    [wheel] = dist.glob("ecomctl-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    for folder in PACKAGED:
        assert any(n.startswith(f"ecomctl/_data/{folder}/") for n in names), folder
    assert "ecomctl/_data/bench/saga_cost.py" in names
    [sdist] = dist.glob("ecomctl-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    for folder in PACKAGED:
        assert any(f"/{folder}/" in m for m in members), folder


def test_the_wheel_installed_outside_the_checkout_initialises_and_lists(
    dist: Path, tmp_path: Path
) -> None:
    [wheel] = dist.glob("ecomctl-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    constraints = ["-c", str(ROOT / ".ci" / "constraints.txt")]
    subprocess.run([*pip, *constraints, str(wheel)], check=True, timeout=900)
    ecomctl = str(venv / "bin" / "ecomctl")
    away = tmp_path / "elsewhere"
    away.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ecomctl, *args], cwd=away, capture_output=True, text=True, timeout=300, check=False
        )

    init = run("--workspace", str(away / "shop"), "init")
    assert init.returncode == 0, init.stderr
    assert (away / "shop" / "ecomctl.yaml").is_file()
    listed = run("bench", "--list")
    assert listed.returncode == 0, listed.stderr
    assert "saga_cost" in listed.stdout
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import ecomctl; print(ecomctl.__file__)"],
        cwd=away, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert not where.stdout.startswith(str(ROOT))
