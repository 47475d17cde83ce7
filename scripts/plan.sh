#!/usr/bin/env bash
# Set up, then run the offline plan of a stack (default prod): the program under Pulumi's
# mock runtime and the policy pack over the analyzer protocol. Extra arguments go to `plan`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
stack="${1:-prod}"
shift || true
exec .venv/bin/python -m components plan "$stack" "$@"
