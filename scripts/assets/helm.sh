#!/usr/bin/env bash
# Helm, built from its Go module (helm.sh/helm/v4) once per version into
# ~/.cache/ecomctl/tools/helm-<version>/helm, for tests/kube (helm lint, helm template).
# A cold build took 17 minutes on two busy cores (4 min of CPU); a cached one is a no-op.
set -euo pipefail
version="v4.3.2"
dest="$HOME/.cache/ecomctl/tools/helm-$version"
if [ -x "$dest/helm" ]; then
  exit 0
fi
mkdir -p "$dest.tmp"
GOBIN="$dest.tmp" GOFLAGS=-buildvcs=false go install "helm.sh/helm/v4/cmd/helm@$version"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
