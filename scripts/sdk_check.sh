#!/usr/bin/env bash
# Check ratesim's `sdk_default` retry rule against the official Python SDK.
#
# Installs pinned releases of `anthropic` from PyPI into virtual environments
# under target/sdk-venv/ (reused when already there) and runs
# scripts/sdk_check.py, which feeds the same table of cases to the SDK's own
# retry code and to examples/sdk_retry_delays.rs and compares the decisions:
#   anthropic 2.x  against SdkVersion::Current (any positive retry-after obeyed)
#   anthropic 0.x  against SdkVersion::Legacy  (retry-after only if 0 < v <= 60 s;
#                  the cap went in 1.6.0, so 1.0-1.5 behave like 0.x)
# Network: PyPI only (pip). Needs Python >= 3.10 (set PYTHON to choose one).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

CURRENT_VERSION=2.15.0
LEGACY_VERSION=0.125.0

# shellcheck source=scripts/sdk_venv.sh
source scripts/sdk_venv.sh

cargo build --quiet --locked --example sdk_retry_delays

status=0
for pair in "$CURRENT_VERSION current" "$LEGACY_VERSION legacy"; do
    read -r version expect <<<"$pair"
    dir=$(venv_for "$version")
    "$dir/bin/python" scripts/sdk_check.py --expect "$expect" "$@" || status=$?
done
exit "$status"
