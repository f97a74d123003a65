"""Run pytest; treat "no tests collected" (exit 5) as success with a loud note, so a tox env whose
suite is legitimately empty for its package subset does not fail the matrix — every other
non-zero exit still fails."""
import sys

import pytest


def main() -> int:
    code = pytest.main(["--import-mode=importlib", "-ra", *sys.argv[1:]])
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("run_pytest: no tests were collected for this environment (exit 5 treated as success)")
        code = 0
    return int(code)


if __name__ == "__main__":  # guarded: DataLoader's spawn workers re-import the main module
    sys.exit(main())
