"""user-auth against the real platform: MySQL from `ecomctl up`, the service as a uvicorn
process started from the template's code on a free port, migrations applied by ecomctl's
own engine into a randomly named database.

Also holds the helpers the product-catalog tests reuse (starting a service, a database).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pymysql
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from keys_support import KEYS, signing_env, verifying_env
from template_src import migration_folder, template_src

from ecomctl.migrate.engine import migrate
from ecomctl.migrate.settings import MigrateSettings
from ecomctl.migrate.url import parse_url

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 60


def new_migrated_database(mysql_url: str, kind: str) -> str:
    """A fresh database with the service's migrations applied; returns its plain URL."""
    admin = parse_url(mysql_url)
    name = kind.replace("-", "_") + "_" + uuid.uuid4().hex[:10]
    conn = pymysql.connect(
        host=admin.host,
        port=admin.port,
        user=admin.user,
        password=admin.password,
        autocommit=True,
    )
    try:
        conn.cursor().execute(f"CREATE DATABASE {name}")
    finally:
        conn.close()
    url = f"mysql://{admin.user}:{admin.password}@{admin.host}:{admin.port}/{name}"
    migrate(settings=MigrateSettings(url=parse_url(url), locations=(migration_folder(kind),)))
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class RunningService:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_service(
    kind: str, env: dict[str, str], log_dir: Path, *, port: int | None = None
) -> RunningService:
    """`python -m uvicorn <pkg>.entrypoints.app:app`, as ecomctl starts services."""
    package = kind.replace("-", "_")
    port = port or free_port()
    log = log_dir / f"{kind}-{port}.log"
    src = template_src(kind)
    full_env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "ECOM_SERVICE_NAME": kind,
        "ECOM_HOST": "127.0.0.1",
        "ECOM_PORT": str(port),
        "ECOM_ENVIRONMENT": "test",
        **verifying_env(),
        **(signing_env(log_dir) if kind == "user-auth" else {}),
        "ECOM_REGISTRY_URL": "",
        "ECOM_ZIPKIN_URL": "",
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"{package}.entrypoints.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    service = RunningService(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{kind} exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{service.url}/health/ready", timeout=2).status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    service.stop()
    pytest.fail(f"{kind} not ready in {READY_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def grant_admin(database_url: str, username: str) -> None:
    """Makes an existing user an ADMIN with the service's own admin command."""
    env = {
        **os.environ,
        "PYTHONPATH": str(template_src("user-auth")),
        "ECOM_DATABASE_URL": database_url,
        **verifying_env(),
        **signing_env(Path(tempfile.mkdtemp(prefix="grant-admin-"))),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "user_auth.entrypoints.cli",
            "grant-admin",
            "--username",
            username,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def user_auth_db(mysql_url: str) -> str:
    return new_migrated_database(mysql_url, "user-auth")


@pytest.fixture(scope="module")
def user_auth(user_auth_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = start_service(
        "user-auth", {"ECOM_DATABASE_URL": user_auth_db}, tmp_path_factory.mktemp("ua")
    )
    yield service.url
    service.stop()


def register_and_login(base: str, *, admin_db: str | None = None) -> dict[str, Any]:
    """A new user (an ADMIN when admin_db is given) and its tokens."""
    name = "u" + uuid.uuid4().hex[:12]
    user = {"username": name, "email": f"{name}@example.com", "password": "Passw0rd-ok"}
    with httpx.Client(base_url=base, timeout=10) as client:
        created = client.post("/api/auth/register", json=user)
        assert created.status_code == 202, created.text
        if admin_db:
            grant_admin(admin_db, name)
        login = client.post(
            "/api/auth/login", json={"username": name, "password": user["password"]}
        )
        assert login.status_code == 200, login.text
        profile = client.get("/api/users/profile", headers=auth(login.json()))
        assert profile.status_code == 200, profile.text
    return {**user, **profile.json(), **login.json()}


def auth(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


def test_register_login_refresh_reuse_logout(user_auth: str) -> None:
    me = register_and_login(user_auth)
    with httpx.Client(base_url=user_auth, timeout=10) as client:
        dup = client.post(
            "/api/auth/register",
            json={
                "username": me["username"],
                "email": "x" + me["email"],
                "password": "Passw0rd-ok",
            },
        )
        assert dup.status_code == 202  # the same answer as for a new account
        weak = client.post(
            "/api/auth/register",
            json={"username": "weak" + uuid.uuid4().hex[:6], "email": "nope", "password": "short"},
        )
        assert weak.status_code == 422
        fields = json.dumps(weak.json()["errors"])
        assert "email" in fields and "password" in fields
        second = client.post("/api/auth/refresh", json={"refreshToken": me["refreshToken"]})
        assert second.status_code == 200
        reused = client.post("/api/auth/refresh", json={"refreshToken": me["refreshToken"]})
        assert reused.status_code == 401
        family = client.post(
            "/api/auth/refresh", json={"refreshToken": second.json()["refreshToken"]}
        )
        assert family.status_code == 401  # the whole family went with the reuse
        again = client.post(
            "/api/auth/login", json={"username": me["username"], "password": me["password"]}
        )
        out = client.post("/api/auth/logout", json={"refreshToken": again.json()["refreshToken"]})
        assert out.status_code == 204
        assert (
            client.post(
                "/api/auth/refresh", json={"refreshToken": again.json()["refreshToken"]}
            ).status_code
            == 401
        )


def test_profile_preferences_and_last_login(user_auth: str) -> None:
    me = register_and_login(user_auth)
    with httpx.Client(base_url=user_auth, timeout=10, headers=auth(me)) as client:
        profile = client.get("/api/users/profile").json()
        assert profile["lastLogin"] is not None and profile["roles"] == ["USER"]
        updated = client.put(
            "/api/users/profile",
            json={
                "firstName": "Ada",
                "lastName": "Lovelace",
                "phone": "+44 20 7946 0000",
                "language": "fr",
            },
        )
        assert updated.status_code == 200, updated.text
        prefs = client.put(
            "/api/users/preferences",
            json={"emailEnabled": False, "smsEnabled": True, "pushEnabled": True},
        )
        assert prefs.status_code == 200
        by_id = client.get(f"/api/users/{me['id']}").json()
        assert by_id["language"] == "fr" and by_id["lastName"] == "Lovelace"
        assert by_id["preferences"] == {
            "emailEnabled": False,
            "smsEnabled": True,
            "pushEnabled": True,
        }
        assert client.get("/api/users/999999999").status_code == 404


def test_admin_only_endpoints(user_auth: str, user_auth_db: str) -> None:
    user = register_and_login(user_auth)
    admin = register_and_login(user_auth, admin_db=user_auth_db)
    with httpx.Client(base_url=user_auth, timeout=10) as client:
        assert client.get("/api/users", headers=auth(user)).status_code == 403
        assert (
            client.put(
                f"/api/users/{user['id']}/roles", headers=auth(user), json={"roles": ["ADMIN"]}
            ).status_code
            == 403
        )
        page = client.get("/api/users", params={"size": 2}, headers=auth(admin))
        assert page.status_code == 200 and page.json()["total"] >= 2
        roles = client.put(
            f"/api/users/{user['id']}/roles", headers=auth(admin), json={"roles": ["USER", "ADMIN"]}
        )
        assert roles.status_code == 200 and roles.json()["roles"] == ["ADMIN", "USER"]


def _forge(token: str, kind: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    if kind == "tampered":
        head, body, sig = token.split(".")
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        data["roles"] = ["ADMIN"]
        forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
        return f"{head}.{forged}.{sig}"
    if kind == "wrong-key":
        other = Ed25519PrivateKey.generate()
        return jwt.encode(claims, other, algorithm="EdDSA", headers={"kid": KEYS.key.kid})
    if kind == "alg-none":
        none_head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=")
        none_body = base64.urlsafe_b64encode(json.dumps({**claims, "roles": ["ADMIN"]}).encode())
        return f"{none_head.decode()}.{none_body.rstrip(b'=').decode()}."
    expired = {**claims, "iat": 1, "exp": 2}
    return jwt.encode(
        expired, KEYS.key.private_key, algorithm="EdDSA", headers={"kid": KEYS.key.kid}
    )


@pytest.mark.parametrize("kind", ["tampered", "wrong-key", "alg-none", "expired"])
def test_bad_tokens_are_401(user_auth: str, kind: str) -> None:
    me = register_and_login(user_auth)
    forged = {"Authorization": f"Bearer {_forge(me['accessToken'], kind)}"}
    with httpx.Client(base_url=user_auth, timeout=10) as client:
        assert client.get("/api/users/profile", headers=forged).status_code == 401
        assert client.get("/api/users", headers=forged).status_code == 401


def test_injection_and_oversized_payloads_are_refused(user_auth: str) -> None:
    me = register_and_login(user_auth)
    with httpx.Client(base_url=user_auth, timeout=10) as client:
        sneaky = client.post(
            "/api/auth/login",
            json={"username": f"{me['username']}' OR '1'='1' -- ", "password": "x' OR 1=1 -- "},
        )
        assert sneaky.status_code == 401
        odd = client.post(
            "/api/auth/register",
            json={
                "username": "robert'); DROP TABLE users;--",
                "email": "b@example.com",
                "password": "Passw0rd-ok",
            },
        )
        assert odd.status_code == 422
        huge = client.post(
            "/api/auth/register",
            content=b"{" + b" " * 2_000_000 + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert huge.status_code == 413
        assert (
            client.post(
                "/api/auth/login", json={"username": me["username"], "password": me["password"]}
            ).status_code
            == 200
        )


def test_the_redis_login_throttle_passes_the_throttle_contract(redis_url: str) -> None:
    """The template's contract for login throttles (tests/test_login_throttle_contract.py),
    its Redis variants, against the platform's real Redis: the same rules as the in-memory
    one, and two throttles on one Redis (two user-auth processes) hold one limit."""
    template = REPO / "templates" / "user-auth" / "template"
    env = {
        **os.environ,
        "PYTHONPATH": f"{template_src('user-auth')}{os.pathsep}{template}",
        "ECOM_TEST_REDIS_URL": redis_url,
    }
    contract = "tests/test_login_throttle_contract.py"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "redis", contract],
        cwd=template,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    assert done.returncode == 0 and "skipped" not in summary, done.stdout[-3000:] + done.stderr
    # Every contract test ran against Redis (none deselected by a renamed fixture id).
    cases = (template / contract).read_text().count("\nasync def test_")
    assert summary.startswith(f"{cases} passed"), summary
