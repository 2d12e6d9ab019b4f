import pytest
from pydantic import ValidationError

from ecomkit.settings import ConsumerSettings, ServiceSettings, SmtpSettings


def test_reads_ecom_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOM_SERVICE_NAME", "user-auth")
    monkeypatch.setenv("ECOM_PORT", "8081")
    monkeypatch.setenv("ECOM_UPSTREAMS", '{"order": "http://127.0.0.1:8083"}')
    settings = ServiceSettings()
    assert settings.service_name == "user-auth"
    assert settings.port == 8081
    assert settings.upstreams == {"order": "http://127.0.0.1:8083"}
    assert settings.base_url == "http://127.0.0.1:8081"


def test_no_key_settings_by_default() -> None:
    settings = ServiceSettings()
    assert (settings.jwks_url, settings.jwks, settings.client_secret.get_secret_value()) == (
        "",
        "",
        "",
    )


def test_short_client_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        ServiceSettings(environment="production", client_secret="short")


def test_strong_client_secret_is_accepted_in_production() -> None:
    settings = ServiceSettings(environment="production", client_secret="s" * 48)
    assert settings.environment == "production"


def test_client_secret_is_not_shown_in_repr() -> None:
    assert "s3cr3t-value" not in repr(ServiceSettings(client_secret="s3cr3t-value"))


def test_release_settings_default_to_a_blue_instance_taking_traffic() -> None:
    settings = ServiceSettings()
    assert (settings.color, settings.version, settings.registry_weight) == ("blue", "", 100)
    assert settings.faults == ""


def test_release_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOM_COLOR", "green")
    monkeypatch.setenv("ECOM_VERSION", "v1.4.0+abc123")
    monkeypatch.setenv("ECOM_REGISTRY_WEIGHT", "0")
    monkeypatch.setenv("ECOM_FAULTS", "error_rate=0.3,latency_ms=300")
    settings = ServiceSettings()
    assert (settings.color, settings.version, settings.registry_weight) == (
        "green",
        "v1.4.0+abc123",
        0,
    )
    assert settings.faults == "error_rate=0.3,latency_ms=300"


@pytest.mark.parametrize("color", ["", "Green", "blue green", "x" * 21, "gr_en"])
def test_color_must_be_a_short_lowercase_name(color: str) -> None:
    with pytest.raises(ValidationError, match="color"):
        ServiceSettings(color=color)


def test_canary_colors_may_have_digits_and_dashes() -> None:
    assert ServiceSettings(color="canary-2").color == "canary-2"


def test_version_is_free_text_up_to_64_characters() -> None:
    assert ServiceSettings(version="1.0 (build 7)").version == "1.0 (build 7)"
    with pytest.raises(ValidationError, match="version"):
        ServiceSettings(version="v" * 65)


@pytest.mark.parametrize("weight", [-1, 1001])
def test_registry_weight_is_within_the_registry_range(weight: int) -> None:
    with pytest.raises(ValidationError, match="registry_weight"):
        ServiceSettings(registry_weight=weight)


@pytest.mark.parametrize(
    ("faults", "named"),
    [
        ("error_rat=0.3", "unknown key 'error_rat'"),
        ("error_rate=1.5", "error_rate='1.5'"),
        ("latency_ms=fast", "latency_ms='fast'"),
        ("status=404", "status='404'"),
        ("error_rate", "expected key=value"),
    ],
)
def test_faults_that_do_not_parse_stop_the_start_naming_the_key(faults: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        ServiceSettings(faults=faults)


class MailingConsumer(ConsumerSettings, SmtpSettings):
    """How notification combines the groups: both sets of fields, one ECOM_ prefix."""


def test_field_groups_combine_and_read_the_same_ecom_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack = {
        "SMTP_HOST": "mail.internal",
        "SMTP_PASSWORD": "relay-s3cret",
        "CONSUMER_CONCURRENCY": "3",
    }
    for name, value in stack.items():
        monkeypatch.setenv(f"ECOM_{name}", value)
    settings = MailingConsumer()
    read = settings.model_dump(include={"smtp_host", "smtp_port", "consumer_concurrency"})
    assert read == {"smtp_host": "mail.internal", "smtp_port": 1025, "consumer_concurrency": 3}
    assert settings.smtp_password.get_secret_value() == "relay-s3cret"
    assert "relay-s3cret" not in repr(settings)
