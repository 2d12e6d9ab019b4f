#!/usr/bin/env bash
# The official AsyncAPI JSON schemas (npm package @asyncapi/specs), for
# tests/unit/test_events.py (which fetches it itself when missing).
set -euo pipefail
dest="$HOME/.cache/ecomctl/test-schemas"
mkdir -p "$dest"
if [ ! -f "$dest/asyncapi-specs-6.11.1.tgz" ]; then
  (cd "$dest" && npm pack @asyncapi/specs@6.11.1 --silent >/dev/null)
fi
