#!/usr/bin/env bash
# Sets up and runs tensorgraft's whole test matrix (tox). Needs only Python 3.10+ and pip.
# Extra arguments go to tox, e.g. `bash tools/test-matrix.sh -e core,full`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check "tox>=4.11"
# tox finds python3.10 ... python3.13 on PATH; pyenv-installed interpreters are handed to it
# explicitly (its shims only answer for the active pyenv version).
discover=()
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[0-9]\.[0-9]+$' || true); do
    exe="$root/versions/$v/bin/python${v%.*}"
    [ -x "$exe" ] && discover+=("$exe")
  done
fi
args=()
[ ${#discover[@]} -gt 0 ] && args+=(--discover "${discover[@]}")
# Each env's pytest run leaves its counts in .tox/<env>/tmp/pytest-summary.txt (tools/run_pytest.py);
# only files written since this run began are read below.
started=$(date +%s)
rc=0
python3 -m tox run-parallel --parallel 2 --parallel-no-spinner "${args[@]}" "$@" || rc=$?
python3 tools/matrix_summary.py .tox "$started" || true
exit "$rc"
