#!/usr/bin/env bash
# Strimzi's CRD schemas as ajv validators: the npm package
# @kubernetes-models/strimzi-kafka-operator (generated from Strimzi's released CRDs), for
# tests/unit/fixtures/kube/validate-strimzi.mjs. Installed with `npm ci` from the lock file
# kept beside that script (every dependency pinned) into
# ~/.cache/ecomctl/tools/strimzi-models-<version>/, again only when the lock file changes
# (a few seconds cold).
set -euo pipefail
cd "$(dirname "$0")/../.."
version="1.0.1"
source_dir="tests/unit/fixtures/kube/strimzi-models"
dest="$HOME/.cache/ecomctl/tools/strimzi-models-$version"
lock_hash="$(sha256sum "$source_dir/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$dest/.complete" 2>/dev/null)" = "$lock_hash" ]; then
  exit 0
fi
rm -rf "$dest"
mkdir -p "$dest"
cp "$source_dir/package.json" "$source_dir/package-lock.json" "$dest/"
# The package declares node >=22 (npm warns); its validators run on Node.js 20 as well.
npm ci --prefix "$dest" --no-audit --no-fund --loglevel=error
echo "$lock_hash" >"$dest/.complete"
