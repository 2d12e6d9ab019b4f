"""The Jinja2 templates: every event in every language, fallbacks."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from notification.adapters.rendering import LANGUAGES, JinjaRenderer, money
from notification.domain.commands import UserEvent
from notification.domain.model import Channel, Contact
from notification.entrypoints.consumers import CONSUMED
from tests.samples import samples

USER = Contact(1, "a@example.com", "+1000000", "en", "Ada")
EVENTS = {event.event_type: event for event in samples(order_id=7)}
SHIPPED = EVENTS["OrderShipped"]


def test_there_is_a_sample_of_every_consumed_event() -> None:
    assert sorted(EVENTS) == sorted(contract.event_type for contract in CONSUMED)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", EVENTS.values(), ids=EVENTS.keys())
@pytest.mark.parametrize("channel", Channel)
def test_every_event_renders_in_every_language(
    event: UserEvent, language: str, channel: Channel
) -> None:
    # Undefined names raise: a template naming a field its event lacks fails here.
    rendered = JinjaRenderer().render(
        event.event_type, language, channel, {"event": event, "user": USER}
    )
    if channel is Channel.SMS:
        assert rendered is None or (rendered.body and rendered.subject is None)
        return
    assert rendered is not None and rendered.language == language
    assert rendered.subject and "\n" not in rendered.subject
    assert "Ada" in rendered.body and "{{" not in rendered.body


def test_a_field_the_event_lacks_is_an_error() -> None:
    template = JinjaRenderer().env.from_string("{{ event.order_number }}")
    with pytest.raises(UndefinedError):
        template.render(event=SHIPPED)


def test_an_unknown_language_falls_back_to_the_default() -> None:
    rendered = JinjaRenderer().render("OrderShipped", "fr", Channel.SMS, {"event": SHIPPED})
    assert rendered is not None and rendered.language == "en"
    assert rendered.body == "Order 7 has shipped." and rendered.subject is None


def test_no_sms_template_means_no_sms_and_unknown_events_render_nothing() -> None:
    renderer = JinjaRenderer()
    created = {"event": EVENTS["OrderCreated"]}
    assert renderer.render("OrderCreated", "en", Channel.SMS, created) is None
    assert renderer.render("Nope", "en", Channel.EMAIL, {"event": SHIPPED}) is None


def test_money() -> None:
    assert money("19.9", "EUR") == "19.90 EUR" and money("x") == "x"
