"""Prometheus recording and alert rules rendered from the stack (docs/observability.md)."""

from ecomctl.alerts.rules import ALERT_NAMES, RULES_FILE, render_rules, rules_document

__all__ = ["ALERT_NAMES", "RULES_FILE", "render_rules", "rules_document"]
