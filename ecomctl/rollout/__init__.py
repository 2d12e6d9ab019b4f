"""Releases by color: deploy a second version, switch traffic to it step by step, roll back."""
