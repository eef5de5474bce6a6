#!/usr/bin/env bash
# Makes sure the browsers of the browser tests are there: Debian's chromium
# (test/e2e TestDashboardInBrowser, chromedp) and firefox-esr
# (internal/dashboard TestDashboardInFirefox, WebDriver BiDi), installed with
# apt-get when missing (as root, or with sudo). A machine where that cannot be
# done gets a message naming the packages; the browser tests then fail saying
# so.
set -euo pipefail
missing=()
if [ -z "${HOTPLUG_CHROMIUM:-}" ] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null; then
  missing+=(chromium)
fi
if [ -z "${HOTPLUG_FIREFOX:-}" ] && ! command -v firefox-esr >/dev/null && ! command -v firefox >/dev/null; then
  missing+=(firefox-esr)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "ensure-browsers: no root to install ${missing[*]}: apt-get install ${missing[*]} (or set HOTPLUG_CHROMIUM / HOTPLUG_FIREFOX)" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null; then
  echo "ensure-browsers: no apt-get to install ${missing[*]}: install them or set HOTPLUG_CHROMIUM / HOTPLUG_FIREFOX" >&2
  exit 0
fi
echo "ensure-browsers: installing Debian's ${missing[*]} for the browser tests"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for p in "${missing[@]}"; do "$p" --version; done
