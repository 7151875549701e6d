#!/usr/bin/env bash
# The test command: lint, type-check, then the whole test suite on every core.
source "$(dirname "$0")/_setup.sh"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/python -m pytest -n auto "$@"
