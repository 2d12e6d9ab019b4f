from __future__ import annotations

pytest_plugins = ["ecomkit.testing.plugin"]
