"""The Jinja2 templates: every event in every language, fallbacks."""

from __future__ import annotations

import pytest

from notification.adapters.rendering import LANGUAGES, JinjaRenderer, money
from notification.domain.model import Channel, Contact
from notification.entrypoints.consumers import EVENT_TYPES

USER = Contact(1, "a@example.com", "+1000000", "en", "Ada")
DATA = {"order_id": 7, "total_amount": "10", "amount": "10", "currency": "USD", "rating": 5}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_renders_in_every_language(event_type: str, language: str) -> None:
    rendered = JinjaRenderer().render(
        event_type, language, Channel.EMAIL, {"data": DATA, "user": USER}
    )
    assert rendered is not None and rendered.language == language
    assert rendered.subject and "\n" not in rendered.subject
    assert "Ada" in rendered.body and "{{" not in rendered.body


def test_an_unknown_language_falls_back_to_the_default() -> None:
    rendered = JinjaRenderer().render("OrderShipped", "fr", Channel.SMS, {"data": DATA})
    assert rendered is not None and rendered.language == "en"
    assert rendered.body == "Order 7 has shipped." and rendered.subject is None


def test_no_sms_template_means_no_sms_and_unknown_events_render_nothing() -> None:
    renderer = JinjaRenderer()
    assert renderer.render("OrderCreated", "en", Channel.SMS, {"data": DATA}) is None
    assert renderer.render("Nope", "en", Channel.EMAIL, {"data": DATA}) is None


def test_money() -> None:
    assert money("19.9", "EUR") == "19.90 EUR" and money("x") == "x"
