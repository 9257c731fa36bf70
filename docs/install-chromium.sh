#!/usr/bin/env bash
# Debian's Chromium, for the docs site's browser test (tests/test_docs.py). Installs only when /usr/bin/chromium is
# absent; needs root (or sudo) and Debian's package archive. Playwright drives it: no browser is ever downloaded.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "installing chromium needs root: apt-get install chromium" >&2; exit 1; }
  SUDO=sudo
fi
echo "installing Debian's chromium for the docs browser test"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; exit 1
fi
rm -f "$log"
/usr/bin/chromium --version 2>/dev/null
