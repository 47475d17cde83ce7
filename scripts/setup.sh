#!/usr/bin/env bash
# Set up the project on a machine that has only Python 3.11+: uv in .tools, then the locked
# dependencies in .venv (the same environment `pulumi` creates with `toolchain: uv`).
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.8
if [ ! -x .tools/bin/uv ]; then
    python3 -m venv .tools
    .tools/bin/python -m pip install --quiet "uv==${UV_VERSION}"
fi
.tools/bin/uv sync --frozen --quiet
