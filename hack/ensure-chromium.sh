#!/usr/bin/env bash
# Makes sure a Chromium is there for the browser tests (test/e2e
# TestDashboardInBrowser): Debian's chromium package, installed with apt-get
# when missing (as root, or with sudo). A machine where that cannot be done
# gets a message naming the package; the browser test then fails saying so.
set -euo pipefail
if [ -n "${HOTPLUG_CHROMIUM:-}" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "ensure-chromium: no chromium and no root to install it: apt-get install chromium (or set HOTPLUG_CHROMIUM)" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null; then
  echo "ensure-chromium: no chromium and no apt-get: install Chromium or set HOTPLUG_CHROMIUM" >&2
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium for the browser tests"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
