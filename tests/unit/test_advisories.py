"""What stands in for pip-audit here (no advisory database answers from these machines):
the advisories listed in .ci/advisories.txt, checked against the exact pins."""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

CI = Path(__file__).resolve().parents[2] / ".ci"


def _lines(name: str) -> list[str]:
    text = (CI / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _pins() -> dict[str, Version]:
    pins = {}
    for line in _lines("constraints.txt"):
        requirement = Requirement(line.split(";")[0].split(" #")[0])
        (spec,) = requirement.specifier  # exact pins only: "name==version"
        pins[canonicalize_name(requirement.name)] = Version(spec.version)
    return pins


def test_no_pinned_version_is_below_a_known_advisory_fix() -> None:
    pins = _pins()
    below = []
    for line in _lines("advisories.txt"):
        package, fixed, advisory = line.split()[:3]
        pinned = pins.get(canonicalize_name(package))
        assert pinned is not None, f"{package} is listed in advisories.txt but not pinned"
        if pinned < Version(fixed):
            below.append(f"{package}=={pinned} < {fixed} ({advisory})")
    assert not below, below
