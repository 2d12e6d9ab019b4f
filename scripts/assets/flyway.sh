#!/usr/bin/env bash
# Flyway's command line (Maven Central), the reference the migrate tests and
# bench/migrate_time.py compare ecomctl against.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 tests/integration/migrate/flyway_cli.py
