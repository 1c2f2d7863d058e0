#!/usr/bin/env bash
# Set up (with the test dependencies) and run the whole test suite.
# Usage: bash scripts/test.sh [pytest options]
OPPFORMS_EXTRAS="[test]"
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

say "running the tests"
exec .venv/bin/python -m pytest "$@"
