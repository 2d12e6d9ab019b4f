"""Writes the Helm chart of a stack: Chart.yaml (jinja2), values.yaml (from the stack and
the `--values` settings) and the generic templates kept as files in this package."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import yaml

from ecomctl import __version__
from ecomctl.kube.settings import load_settings
from ecomctl.kube.values import chart_values
from ecomctl.stack.model import Stack

CHART_VERSION = "0.1.0"
# Which operator must run in the cluster for a component in "operator" mode.
OPERATORS = {
    "kafka": "Strimzi",
    "postgres": "CloudNativePG",
    "mysql": "MariaDB operator",
    "mongo": "MongoDB Community operator",
    "redis": "OT-Container-Kit redis-operator",
    "search": "OpenSearch operator",
}
_ALWAYS = ("Prometheus Operator", "Argo Rollouts (with rollouts.enabled)")


def write_chart(stack: Stack, stack_file: Path, output_dir: Path, values_file: Path | None) -> Path:
    """Render the chart into `output_dir` (its templates replaced); returns the directory."""
    settings = load_settings(values_file)
    values = chart_values(stack, settings, stack_file)
    source = resources.files("ecomctl.kube").joinpath("chart_files")
    templates = output_dir / "templates"
    if templates.exists():
        shutil.rmtree(templates)
    templates.mkdir(parents=True)
    for entry in source.joinpath("templates").iterdir():
        (templates / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    chart = jinja2.Template(
        source.joinpath("Chart.yaml.jinja").read_text(encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    ).render(
        stack=stack.name,
        values_file=values_file,
        chart_version=CHART_VERSION,
        app_version=__version__,
        operators=", ".join(operators_needed(values)),
    )
    (output_dir / "Chart.yaml").write_text(chart, encoding="utf-8")
    schema = source.joinpath("values.schema.json").read_text(encoding="utf-8")
    (output_dir / "values.schema.json").write_text(schema, encoding="utf-8")
    header = (
        f"# Rendered by ecomctl from stack {stack.name!r}: change the stack or the --values\n"
        "# file and render again. Secrets are never here: each service reads the Secret\n"
        "# named by its existingSecret (keys: its secretKeys).\n"
    )
    dumped = yaml.dump(values, Dumper=_PlainDumper, sort_keys=False, width=100)
    (output_dir / "values.yaml").write_text(header + dumped, encoding="utf-8")
    return output_dir


class _PlainDumper(yaml.SafeDumper):
    """Writes shared blocks out in full: no &anchors in a file people read and edit."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def operators_needed(values: dict[str, Any]) -> list[str]:
    chosen = [
        OPERATORS[name]
        for name, block in values["infra"].items()
        if block.get("mode") == "operator" and name in OPERATORS
    ]
    return [*chosen, *_ALWAYS]
