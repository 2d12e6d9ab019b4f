"""The suite collects under pytest's default import mode only while no two test
modules share a basename (tests/unit/x.py vs tests/integration/x.py clash)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_test_module_basenames_are_unique() -> None:
    modules = [
        p
        for base in ("tests", "kit/tests")
        for p in (ROOT / base).rglob("test_*.py")
        if "fixtures" not in p.parts
    ]
    counts = Counter(p.name for p in modules)
    clashes = sorted(name for name, count in counts.items() if count > 1)
    assert not clashes, f"rename one of each: {clashes}"
