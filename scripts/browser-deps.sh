#!/usr/bin/env bash
# Debian's chromium for the browser tests (tests/test_ui_browser.py). Idempotent: does
# nothing when /usr/bin/chromium is already there. Playwright's own browser download is
# not used (no internet); the playwright python package drives this chromium instead.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "browser-deps: $CHROMIUM already installed ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "browser-deps: $CHROMIUM is missing and installing it needs root (apt-get install chromium)" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "browser-deps: installing Debian chromium with apt-get"
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium
"$CHROMIUM" --version || true
echo "browser-deps: ok"
