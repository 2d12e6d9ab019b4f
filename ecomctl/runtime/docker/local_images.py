"""`--images local`: every image of the stack built on this machine, without any registry.

Three layers, each keyed by a content hash kept in the image label
`io.ecomctl.content-hash`, so a warm `ecomctl images build` rebuilds nothing:

1. `ecomctl-local/base`: a Debian rootfs made by `debootstrap` from Debian's
   packages (Python, a JRE and the Debian-packaged servers the local runtime
   also uses), cached as a tarball under `<cache>/docker/` and `docker import`ed;
2. `ecomctl-local/runner`: the base plus ecomctl itself in `/opt/ecomctl`,
   installed from a wheelhouse the host fills with pip (the build itself runs
   with no network);
3. one image per infrastructure component: the runner plus the component's
   artifacts copied from ecomctl's cache at the same path (Maven jars, Go-built
   FerretDB and Mailpit, the Stripe emulator's venv). Its container runs
   `python -m ecomctl.runtime.docker.in_container serve <name>`: the local
   runtime's own `prepare`/`process`/`check_ready`/`after_ready`, in a container.

Service images are built on the base by `service_images`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ecomctl.config import cache_dir
from ecomctl.errors import UserError

REPOSITORY = "ecomctl-local"
TAG = "local"
HASH_LABEL = "io.ecomctl.content-hash"
USED_BY_LABEL = "io.ecomctl.used-by"
SUITE = "bookworm"
BASE_PACKAGES = (
    "python3",
    "python3-venv",
    "openjdk-17-jre-headless",
    "postgresql",
    "mariadb-server",
    "mariadb-client",
    "redis-server",
    "prometheus",
    "procps",
)
IMAGE_PYTHON = "3.11.2"  # bookworm's python3
# bookworm's glibc is 2.36; pip takes exactly the platform tags it is given.
IMAGE_PLATFORMS = (
    *(f"manylinux_2_{minor}_x86_64" for minor in range(36, 4, -1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
)
# pip evaluates `python_full_version` markers with the host's interpreter even under
# --python-version, so what 3.11.2 needs beyond a newer 3.11 is named here (redis's).
IMAGE_EXTRA_REQUIREMENTS = ("async-timeout>=4.0.3",)
RUNNER_VENV = "/opt/ecomctl"
SERVICE_VENV = "/opt/venv"
APP_UID = 10001

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuiltImage:
    name: str  # repository:tag
    content_hash: str
    rebuilt: bool


def image_name(short: str) -> str:
    return f"{REPOSITORY}/{short}:{TAG}"


def infra_image(component: str) -> str:
    return image_name(component)


def service_image(service: str) -> str:
    return image_name(f"svc-{service}")


def docker_cache() -> Path:
    return cache_dir() / "docker"


# -- hashing ---------------------------------------------------------------------------


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def tree_digest(root: Path, ignore: Iterable[str] = ()) -> str:
    """Names and contents of every file under `root`: a fresh clone hashes the same as the
    checkout it came from (mtimes would not), so CI rebuilds nothing that did not change."""
    skipped = set(ignore)
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if skipped & set(path.relative_to(root).parts) or not path.is_file():
            continue
        h.update(str(path.relative_to(root)).encode() + b"\0")
        with path.open("rb") as content:
            for block in iter(lambda: content.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


# -- the engine, through the docker CLI and SDK ----------------------------------------------


def existing_hash(name: str) -> str | None:
    done = subprocess.run(
        [
            "docker",
            "image",
            "inspect",
            "--format",
            f'{{{{index .Config.Labels "{HASH_LABEL}"}}}}',
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def _docker(*args: str, what: str) -> None:
    # The classic builder: BuildKit would pull its frontend image, and nothing can be pulled.
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    done = subprocess.run(["docker", *args], capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise UserError(f"{what} failed:\n{tail}")


def build_from_dockerfile(
    name: str, context: Path, dockerfile: str, content_hash: str, used_by: str
) -> None:
    """A classic (no BuildKit) build with no network: everything comes from the context."""
    (context / "Dockerfile.ecomctl").write_text(dockerfile, encoding="utf-8")
    _docker(
        "build",
        "--force-rm",  # a failed step leaves no container behind
        "--network",
        "none",
        "--label",
        f"{HASH_LABEL}={content_hash}",
        "--label",
        f"{USED_BY_LABEL}={used_by}",
        "-f",
        str(context / "Dockerfile.ecomctl"),
        "-t",
        name,
        str(context),
        what=f"building {name}",
    )


def prune_superseded() -> None:
    """Drop the untagged images a rebuild left behind (ours only, by label; an image a
    container still uses is kept by the engine): without it every change to ecomctl leaves
    a set of infrastructure images behind, gigabytes a day on a machine that tests often."""
    subprocess.run(
        ["docker", "image", "prune", "--force", "--filter", f"label={HASH_LABEL}"],
        capture_output=True,
        check=False,
    )


# -- 1. the base image ----------------------------------------------------------------------


def base_hash() -> str:
    return digest("debootstrap", "minbase", SUITE, *BASE_PACKAGES)


def build_base(progress: Progress) -> BuiltImage:
    name, wanted = image_name("base"), base_hash()
    if existing_hash(name) == wanted:
        return BuiltImage(name, wanted, rebuilt=False)
    tarball = docker_cache() / f"rootfs-{SUITE}-{wanted}.tar"
    if not tarball.is_file():
        progress(f"debootstrap {SUITE} into a rootfs (a few minutes, cached in {tarball.parent})")
        _debootstrap(tarball)
    progress(f"docker import {tarball.name} as {name}")
    _docker(
        "import",
        "--change",
        f"LABEL {HASH_LABEL}={wanted}",
        "--change",
        f'LABEL {USED_BY_LABEL}="every image"',
        "--change",
        "ENV LANG=C.UTF-8",
        str(tarball),
        name,
        what=f"importing {name}",
    )
    return BuiltImage(name, wanted, rebuilt=True)


def _debootstrap(tarball: Path) -> None:
    if shutil.which("debootstrap") is None:
        raise UserError(
            "debootstrap is missing, so the base image cannot be made",
            hint="apt-get install debootstrap (as root)",
        )
    tarball.parent.mkdir(parents=True, exist_ok=True)
    rootfs = tarball.parent / f"rootfs-{SUITE}.tmp"
    shutil.rmtree(rootfs, ignore_errors=True)
    include = ",".join(BASE_PACKAGES)
    done = subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={include}", SUITE, str(rootfs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-10:] + done.stderr.splitlines()[-10:])
        raise UserError(f"debootstrap of {SUITE} failed:\n{tail}")
    slim_rootfs(rootfs)
    partial = tarball.with_suffix(".partial")
    subprocess.run(
        [
            "tar",
            "-C",
            str(rootfs),
            "--exclude=./proc/*",
            "--exclude=./sys/*",
            "-cf",
            str(partial),
            ".",
        ],
        check=True,
    )
    partial.rename(tarball)
    shutil.rmtree(rootfs, ignore_errors=True)


# What the image never needs: apt's caches, docs, and the clusters the package scripts made
# (ecomctl makes its own data directories in the container's volume).
_DEAD_WEIGHT = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/locale",
    "var/lib/postgresql",
    "var/lib/mysql",
)


def slim_rootfs(rootfs: Path) -> None:
    for leftover in _DEAD_WEIGHT:
        shutil.rmtree(rootfs / leftover, ignore_errors=True)


# -- wheelhouses -----------------------------------------------------------------------------


def fill_wheelhouse(
    target: Path, sources: list[str], progress: Progress, find_links: Iterable[Path] = ()
) -> None:
    """pip on the host fetches what the image needs; the image build then needs no network.

    The local projects become wheels first; their dependencies are then downloaded
    for the image's interpreter (Debian's Python, whose exact version decides some
    markers), as binary wheels only, since the image has no compiler. `find_links` are
    folders of wheels no index holds (the kit's, for a service).
    """
    progress(f"pip wheel {' '.join(Path(s).name for s in sources)} (host side, cached by pip)")
    target.mkdir(parents=True, exist_ok=True)
    _pip("wheel", "-q", "--no-deps", "--wheel-dir", str(target), *sources)
    own = [str(path) for path in sorted(target.glob("*.whl"))]
    _pip(
        "download",
        "-q",
        "--dest",
        str(target),
        "--find-links",
        str(target),
        *(f"--find-links={folder}" for folder in find_links),
        "--only-binary=:all:",
        f"--python-version={IMAGE_PYTHON}",
        *(f"--platform={platform}" for platform in IMAGE_PLATFORMS),
        *_constraints_args(),
        *own,
        *IMAGE_EXTRA_REQUIREMENTS,
    )


def _pip(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-10:])
        raise UserError(f"pip {args[0]} for the images failed:\n{tail}")


def _constraints_args() -> list[str]:
    pinned = os.environ.get("UV_CONSTRAINT") or os.environ.get("PIP_CONSTRAINT")
    return ["-c", pinned] if pinned and Path(pinned).is_file() else []


def project_root() -> Path:
    """The ecomctl source tree a wheel of ecomctl is built from."""
    root = Path(__file__).resolve().parents[3]
    if not (root / "pyproject.toml").is_file() or not (root / "ecomctl").is_dir():
        raise UserError(
            "local images need ecomctl's source tree (installed from a checkout)",
            hint="pip install -e <checkout>, or use --images official",
        )
    return root


# -- 2. the runner ---------------------------------------------------------------------------


def runner_hash(base: str) -> str:
    root = project_root()
    return digest(
        base,
        tree_digest(root / "ecomctl", ignore={"__pycache__"}),
        (root / "pyproject.toml").read_bytes(),
    )


def build_runner(base: BuiltImage, progress: Progress) -> BuiltImage:
    name, wanted = image_name("runner"), runner_hash(base.content_hash)
    if existing_hash(name) == wanted:
        return BuiltImage(name, wanted, rebuilt=False)
    context = docker_cache() / "runner-context"
    shutil.rmtree(context, ignore_errors=True)
    fill_wheelhouse(context / "wheels", [str(project_root())], progress)
    progress(f"docker build {name}")
    dockerfile = f"""\
FROM {base.name}
COPY wheels /tmp/wheels
RUN python3 -m venv {RUNNER_VENV} \\
 && {RUNNER_VENV}/bin/pip install -q --no-index --find-links /tmp/wheels ecomctl \\
 && rm -rf /tmp/wheels
ENV PATH={RUNNER_VENV}/bin:$PATH PYTHONUNBUFFERED=1 ECOMCTL_CACHE_DIR={cache_dir()}
"""
    build_from_dockerfile(name, context, dockerfile, wanted, used_by="infrastructure images")
    shutil.rmtree(context, ignore_errors=True)
    return BuiltImage(name, wanted, rebuilt=True)


# -- 3. infrastructure images ------------------------------------------------------------------


def infra_artifacts(component: str) -> Path | None:
    """The component's folder in ecomctl's cache (None for the Debian-packaged ones)."""
    folder = cache_dir() / component
    return folder if folder.is_dir() else None


def build_infra(component: str, runner: BuiltImage, progress: Progress) -> BuiltImage:
    name = infra_image(component)
    artifacts = infra_artifacts(component)
    wanted = digest(
        runner.content_hash,
        component,
        tree_digest(artifacts, ignore={"__pycache__"}) if artifacts else "",
    )
    if existing_hash(name) == wanted:
        return BuiltImage(name, wanted, rebuilt=False)
    progress(f"docker build {name}")
    lines = [f"FROM {runner.name}"]
    context = artifacts or _empty_context()
    if artifacts:
        lines.append(f"COPY . {artifacts}")
        lines += [_repoint_venv(cfg.parent) for cfg in sorted(artifacts.rglob("pyvenv.cfg"))]
    lines.append(
        f'CMD ["python", "-m", "ecomctl.runtime.docker.in_container", "serve", "{component}"]'
    )
    build_from_dockerfile(name, context, "\n".join(lines) + "\n", wanted, used_by=component)
    (context / "Dockerfile.ecomctl").unlink(missing_ok=True)
    return BuiltImage(name, wanted, rebuilt=True)


def _repoint_venv(venv: Path) -> str:
    """A venv from the cache links to the host's interpreter; the image has Debian's 3.11."""
    python = venv / "bin" / "python3.11"
    return (
        f"RUN ln -sf /usr/bin/python3.11 {python}"
        f" && sed -i 's#^home = .*#home = /usr/bin#' {venv / 'pyvenv.cfg'}"
    )


def _empty_context() -> Path:
    context = docker_cache() / "empty-context"
    context.mkdir(parents=True, exist_ok=True)
    return context
