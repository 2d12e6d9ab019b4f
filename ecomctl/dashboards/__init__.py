"""Grafana dashboards for the stack's Prometheus (docs/observability.md, "Dashboards")."""

from ecomctl.dashboards.build import DASHBOARDS, dashboard_documents, write_provisioning

__all__ = ["DASHBOARDS", "dashboard_documents", "write_provisioning"]
