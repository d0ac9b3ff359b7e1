#!/usr/bin/env bash
# Installs schemathesis (the OpenAPI fuzzer `npm run test:fuzz` drives) from PyPI into its own virtual environment,
# .tools/fuzz (git-ignored), once. Pinned with every dependency, so two runs fuzz with the same code; nothing
# downloads at run time. A SCHEMATHESIS_PATH, if set, is used instead (scripts/fuzz.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
SCHEMATHESIS_VERSION=4.32.5
target=.tools/fuzz
stamp="$target/.installed-$SCHEMATHESIS_VERSION"
# It must also run: a virtual environment moved or copied from another folder keeps its old interpreter path.
if [ -f "$stamp" ] && "$target/bin/schemathesis" --version >/dev/null 2>&1; then
  echo "schemathesis $SCHEMATHESIS_VERSION already installed in $target"
  exit 0
fi
rm -rf "$target"
python3 -m venv "$target"
constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
# What pip resolved for schemathesis $SCHEMATHESIS_VERSION on Python 3.11 (pip freeze), pinned.
cat >"$constraints" <<'PINS'
anyio==4.16.0
certifi==2026.10.19.post1
charset-normalizer==3.5.3
click==8.5.1
graphql-core==3.3.2
harfile==0.6.0
hypothesis==6.170.17
hypothesis-graphql==0.13.5
idna==3.20
iniconfig==2.3.1
jsonschema_rs==0.60.3
markdown-it-py==4.3.0
MarkupSafe==3.0.4
mdurl==0.1.2
packaging==26.4
pluggy==1.7.0
Pygments==2.21.0
pyrate-limiter==4.5.1
pytest==9.2.0
PyYAML==6.0.4
requests==2.34.2
rich==15.0.0
sortedcontainers==2.4.0
typing_extensions==4.16.0
urllib3==2.8.0
Werkzeug==3.1.9
PINS
"$target/bin/python" -m pip install --quiet --disable-pip-version-check \
  -c "$constraints" "schemathesis==$SCHEMATHESIS_VERSION"
touch "$stamp"
"$target/bin/schemathesis" --version
