#!/usr/bin/env bash
# 15-deps.sh -- scripts/deps.sh against fake apt tools (tests/deps).
exec bash "$(dirname "$0")/../deps/deps.test.sh"
