"""`ecomctl render`: files for other tools, rendered from the stack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecomctl import operations
from ecomctl.cli.context import state
from ecomctl.cli.terminal import Output

app = typer.Typer(help="Render deployment files from the stack.", no_args_is_help=True)


@app.command("compose")
def compose(
    ctx: typer.Context,
    output_file: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write (default: <workspace>/compose.yaml)."),
    ] = None,
    port_offset: Annotated[int, typer.Option("--port-offset", min=0, max=50000)] = 0,
    images: Annotated[
        str | None,
        typer.Option(
            "--images",
            help="'official' (registries) or 'local' (built by `ecomctl images build`); "
            "default: what the workspace last used, else official.",
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Write a docker compose file for the stack (health checks, ports on 127.0.0.1 only,
    secrets in 0600 files beside it, never in it).

    With --images local the file stands on its own: a plain `docker compose up` starts
    the infrastructure, runs each service's migrations in a one-shot container, then the
    services. With official images the services sit in the `services` profile, since
    `ecomctl up` applies their migrations from the host first.

    Examples:

      ecomctl render compose

      ecomctl images build && ecomctl render compose --images local -o compose.yaml

      docker compose -f compose.yaml up -d --wait
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target(create=output_file is None)
    written = operations.render_compose(
        tgt=tgt, port_offset=port_offset, output_file=output_file, images=images
    )
    if json_out:
        output.json({"path": str(written)})
    else:
        output.success(f"wrote {written}")


@app.command("alerts")
def alerts(
    ctx: typer.Context,
    output_file: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write (default: print on stdout)."),
    ] = None,
) -> None:
    """Print or write the stack's Prometheus rules: the RED recording rules and the alerts
    (thresholds from `observability.alerts` in the stack file), as every `up` gives them to
    Prometheus.

    Examples:

      ecomctl render alerts

      ecomctl render alerts -o rules.yml && promtool check rules rules.yml
    """
    from ecomctl.alerts import render_rules

    cli = state(ctx)
    text = render_rules(cli.target().stack)
    if output_file is None:
        typer.echo(text, nl=False)
        return
    output_file.write_text(text)
    Output(debug=cli.debug).success(f"wrote {output_file}")


@app.command("dashboards")
def dashboards(
    ctx: typer.Context,
    output_dir: Annotated[
        Path,
        typer.Option("--output", "-o", help="Directory to write into (created if missing)."),
    ] = Path("grafana"),
    prometheus_url: Annotated[
        str,
        typer.Option("--prometheus-url", help="Where Grafana reaches the stack's Prometheus."),
    ] = "http://prometheus:9090",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the written paths as JSON.")
    ] = False,
) -> None:
    """Write Grafana dashboards (services RED, order saga, Kafka, business) and Grafana's
    provisioning files (the Prometheus data source, the dashboards folder).

    Examples:

      ecomctl render dashboards -o grafana

      ecomctl render dashboards --prometheus-url http://127.0.0.1:9090

    Mount grafana/provisioning at /etc/grafana/provisioning and grafana/dashboards at
    /var/lib/grafana/dashboards/ecomctl. Without Grafana, `ecomctl top` shows the figures.
    """
    from ecomctl.dashboards import write_provisioning

    output = Output(json_mode=json_out, debug=state(ctx).debug)
    written = write_provisioning(output_dir, prometheus_url)
    if json_out:
        output.json({"paths": [str(p) for p in written]})
    else:
        output.success(f"wrote {len(written)} files into {output_dir}")


@app.command("helm")
def helm(
    ctx: typer.Context,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Chart directory (default: <workspace>/chart)."),
    ] = None,
    values_file: Annotated[
        Path | None,
        typer.Option(
            "--values", help="Choices for the cluster: images, infra modes, services, gates."
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Write a Helm chart of the stack for a Kubernetes cluster (docs/kubernetes.md).

    Services as Deployments (or Argo Rollouts with rollouts.enabled), infrastructure as
    operators' resources (Strimzi, CloudNativePG, MariaDB, ...) or external endpoints.

    Examples:

      ecomctl render helm

      ecomctl render helm -o chart --values cluster.yaml && helm lint chart

      helm upgrade --install shop-infra chart -n shop --set parts.services=false

      helm upgrade --install shop chart -n shop --set parts.infra=false
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target(create=output_dir is None)
    written = operations.render_helm(tgt=tgt, output_dir=output_dir, values_file=values_file)
    if json_out:
        output.json({"path": str(written)})
    else:
        output.success(f"wrote chart {written}")


ci_app = typer.Typer(help="Render CI/CD workflows for the workspace.", no_args_is_help=True)
app.add_typer(ci_app, name="ci")


@ci_app.command("github-actions")
def github_actions(
    ctx: typer.Context,
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write (default: .github/workflows/<stack>.yaml)."
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Write a GitHub Actions workflow: lint, test, build and scan images, push, deploy.

    Set the repository variables IMAGE_REGISTRY, IMAGE_REPOSITORY, RELEASE, NAMESPACE and
    the secrets IMAGE_REGISTRY_TOKEN, KUBECONFIG; deploy/cluster.yaml holds the chart's
    --values (docs/kubernetes.md).

    Examples:

      ecomctl render ci github-actions

      ecomctl render ci github-actions -o .github/workflows/deploy.yaml --json
    """
    cli = state(ctx)
    output = Output(json_mode=json_out, debug=cli.debug)
    tgt = cli.target(create=output_file is None)
    written = operations.render_workflow(tgt=tgt, output_file=output_file)
    if json_out:
        output.json({"path": str(written)})
    else:
        output.success(f"wrote {written}")
