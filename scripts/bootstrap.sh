#!/usr/bin/env bash
# Installs what Waymark needs on a fresh Debian machine, idempotently: pnpm and the node modules (npm
# registry), Java 17 + Maven for the local Kafka broker (Debian packages; the broker's jars come from
# Maven Central on first start), Chromium for the browser tests. Safe to run every time; fast when
# everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
# Debian's Chromium for the real-browser tests of waymark.js (test/browser/, part of `make test` and CI).
# `make test` sets WAYMARK_WITH_BROWSER=1; `make start` does not need a browser.
if [ "${WAYMARK_WITH_BROWSER:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bootstrap: please install ${need_apt[*]} (Debian packages) and run again" >&2
    exit 1
  fi
  echo "bootstrap: installing ${need_apt[*]} from Debian packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "bootstrap: Node.js 20 or newer is required (found $(node --version))" >&2
  exit 1
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "bootstrap: installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi

pnpm install --frozen-lockfile --reporter=silent
