"""Releases by color: deploy a second version, switch traffic to it, roll back."""
