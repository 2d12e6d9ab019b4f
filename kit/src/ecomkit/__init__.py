"""ecomkit: the run-time code every generated service shares (DESIGN 4-5)."""
