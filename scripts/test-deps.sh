#!/usr/bin/env bash
# Extra things the full test suite needs beyond the Python lock file. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "test-deps: ok"
