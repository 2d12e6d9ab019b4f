#!/usr/bin/env bash
# The compose specification's JSON schema, as vendored inside the check-jsonschema
# wheel, for tests/unit/test_compose_render.py (which fetches it itself when missing).
set -euo pipefail
dest="$HOME/.cache/ecomctl/test-schemas"
if ! ls "$dest"/check_jsonschema-0.39.0-*.whl >/dev/null 2>&1; then
  python3 -m pip download check-jsonschema==0.39.0 --no-deps --only-binary=:all: \
    --dest "$dest" --quiet --disable-pip-version-check
fi
