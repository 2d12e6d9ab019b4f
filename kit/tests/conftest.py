import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from zipkin_standin import zipkin

# The tests own the process's tracer provider, set before any test builds an app: an app
# made without a Zipkin URL would otherwise install one that records nothing
# (ecomkit.tracing.create_tracer_provider), and the span tests read recorded spans.
trace.set_tracer_provider(TracerProvider())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


__all__ = ["zipkin"]  # a fixture for every test module
