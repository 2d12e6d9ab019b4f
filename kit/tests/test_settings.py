import pytest
from pydantic import ValidationError

from ecomkit.settings import DEFAULT_JWT_SECRET, ServiceSettings


def test_reads_ecom_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOM_SERVICE_NAME", "user-auth")
    monkeypatch.setenv("ECOM_PORT", "8081")
    monkeypatch.setenv("ECOM_UPSTREAMS", '{"order": "http://127.0.0.1:8083"}')
    settings = ServiceSettings()
    assert settings.service_name == "user-auth"
    assert settings.port == 8081
    assert settings.upstreams == {"order": "http://127.0.0.1:8083"}
    assert settings.base_url == "http://127.0.0.1:8081"


def test_default_secret_is_fine_in_development() -> None:
    settings = ServiceSettings(environment="development")
    assert settings.jwt_secret.get_secret_value() == DEFAULT_JWT_SECRET


@pytest.mark.parametrize("environment", ["test", "production"])
def test_default_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="ECOM_JWT_SECRET is the built-in development"):
        ServiceSettings(environment=environment)


def test_short_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        ServiceSettings(environment="production", jwt_secret="short")


def test_strong_secret_is_accepted_in_production() -> None:
    settings = ServiceSettings(environment="production", jwt_secret="s" * 48)
    assert settings.environment == "production"


def test_secret_is_not_shown_in_repr() -> None:
    assert DEFAULT_JWT_SECRET not in repr(ServiceSettings())
