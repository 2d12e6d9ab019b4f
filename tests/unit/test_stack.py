from __future__ import annotations

from pathlib import Path

import pytest

from ecomctl.errors import UsageError
from ecomctl.stack.loader import default_stack_path, load_stack, parse_stack
from ecomctl.stack.model import INFRA_NAMES

DEFAULT = default_stack_path().read_text()


def test_default_stack_has_every_component_and_the_plans_topics() -> None:
    stack = load_stack()
    assert tuple(stack.infra) == INFRA_NAMES
    topics = {t.name: t.partitions for t in stack.topics}
    assert topics["order-created-events"] == 6 and topics["review-added-events"] == 3
    assert stack.services["order"].port == 8083


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("port: 6379", "port: 99999"), r"x\.yaml:\d+: infra\.redis\.port: Input should be less"),
        (("heap_mb: 256", "heap: 256"), r"x\.yaml:\d+: infra\.zipkin\.heap: Extra inputs"),
        (("  redis:", "  rediss:"), r"x\.yaml:\d+: infra: unknown component\(s\) rediss"),
        (("port: 9411", "port: 9090"), r"port 9090 is used by both"),
        (("name: ecommerce", "name: Bad Name"), r"x\.yaml:4: name: String should match"),
        (("version: 1", "version: [1"), r"x\.yaml:\d+: not valid YAML"),
    ],
)
def test_a_bad_stack_names_file_line_and_field(change: tuple[str, str], expected: str) -> None:
    with pytest.raises(UsageError, match=expected) as error:
        parse_stack(DEFAULT.replace(*change, 1), Path("x.yaml"))
    assert "\n" not in str(error.value)


def test_the_line_points_at_the_offending_value() -> None:
    bad = DEFAULT.replace("port: 6379", "port: 99999")
    line_no = next(i for i, line in enumerate(bad.splitlines(), 1) if "99999" in line)
    with pytest.raises(UsageError, match=f"x.yaml:{line_no}:"):
        parse_stack(bad, Path("x.yaml"))


def test_a_missing_stack_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read stack file"):
        load_stack(tmp_path / "nope.yaml")
