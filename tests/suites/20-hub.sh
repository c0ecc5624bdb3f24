#!/usr/bin/env bash
# Integration tests: the real chorus-hub driven by real WebSocket clients.
exec bash "$(dirname "$0")/../node-suite.sh" integration/
