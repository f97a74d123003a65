#!/usr/bin/env bash
# Sets up and runs tensorgraft's whole test matrix (tox). Needs only Python 3.10+ and pip.
# Extra arguments go to tox, e.g. `bash tools/test-matrix.sh -e core,full`.
set -euo pipefail
cd "$(dirname "$0")/.."
# Make every pyenv-installed CPython visible to tox (python3.10 ... python3.13), when pyenv exists.
if command -v pyenv >/dev/null 2>&1; then
  versions=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[0-9])\.[0-9]+$' | sort -t. -k2,2n -k3,3n | tr '\n' ':' || true)
  current=$(pyenv version-name 2>/dev/null || true)
  [ -n "$versions" ] && export PYENV_VERSION="${current:+$current:}${versions%:}"
fi
python3 -m pip install --quiet --disable-pip-version-check "tox>=4.11"
exec python3 -m tox run-parallel --parallel 2 --parallel-no-spinner "$@"
