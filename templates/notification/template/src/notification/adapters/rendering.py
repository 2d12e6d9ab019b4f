"""Localized messages from Jinja2 templates shipped in the package:
`templates/<language>/<EventType>.j2`, each with the blocks `subject`, `body` and `sms`
(an event without an `sms` block sends no SMS). A language without a template for the
event falls back to the default language.

Templates read the typed event (`event`, its contract: `event.order_id`) and the user's
contact (`user`). A name the event does not have is an error, not an empty string: every
field of a contract is there (optional ones are None), so a misspelt or renamed field
fails in the tests that render every template rather than in a customer's inbox."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, TemplateNotFound

from notification.domain.model import Channel
from notification.service_layer.ports import Rendered

LANGUAGES = ("en", "de")


def money(value: object, currency: object = "") -> str:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{amount} {currency}".strip()


class JinjaRenderer:
    def __init__(self, *, default_language: str = "en") -> None:
        # Plain-text messages: no HTML escaping.
        self.env = Environment(
            loader=PackageLoader("notification", "templates"),
            autoescape=False,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters["money"] = money
        self.default_language = default_language

    def render(
        self, event_type: str, language: str, channel: Channel, context: Mapping[str, object]
    ) -> Rendered | None:
        found = self._template(event_type, language)
        if found is None:
            return None
        template, used = found
        if channel is Channel.SMS:
            sms = self._block(template, "sms", context)
            return Rendered(None, sms, used) if sms else None
        subject = " ".join(self._block(template, "subject", context).split())
        return Rendered(subject, self._block(template, "body", context), used)

    def _template(self, event_type: str, language: str) -> tuple[Template, str] | None:
        for candidate in dict.fromkeys((language, self.default_language)):
            try:
                return self.env.get_template(f"{candidate}/{event_type}.j2"), candidate
            except TemplateNotFound:
                continue
        return None

    @staticmethod
    def _block(template: Template, name: str, context: Mapping[str, object]) -> str:
        block = template.blocks.get(name)
        if block is None:
            return ""
        return "".join(block(template.new_context(dict(context)))).strip()
