#!/usr/bin/env bash
# checkov (PyPI) in a venv of its own, for the policy checks of tests/unit/test_helm_chart.py:
# its pins would clash with ecomctl's. Installed once per version (about 7 minutes cold).
set -euo pipefail
version="3.3.30"
dest="$HOME/.cache/ecomctl/tools/checkov-$version"
if [ -f "$dest/.complete" ]; then
  exit 0
fi
rm -rf "$dest"
python3 -m venv "$dest"
"$dest/bin/pip" install --quiet --disable-pip-version-check "checkov==$version"
touch "$dest/.complete"
