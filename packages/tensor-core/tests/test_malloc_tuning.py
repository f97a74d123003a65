"""``import tensorgraft`` keeps freed array memory in the process on Linux/glibc
(``_malloc_tuning``), and ``TENSORGRAFT_MALLOC_TUNING=0`` leaves malloc alone."""
import os
import platform
import subprocess
import sys

import pytest

import tensorgraft._malloc_tuning as tuning

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
_REPORT = "import tensorgraft, tensorgraft._malloc_tuning as m; print(m.applied)"


def _applied_in_fresh_process(**env):
    out = subprocess.run([sys.executable, "-c", _REPORT], env={**os.environ, **env}, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not GLIBC, reason="the tuning applies to glibc's malloc on Linux only")
def test_import_tunes_glibc_malloc():
    assert _applied_in_fresh_process(TENSORGRAFT_MALLOC_TUNING="1") == "True"
    assert tuning.tune_glibc_malloc() is True  # (idempotent)


def test_opting_out_leaves_malloc_alone():
    assert _applied_in_fresh_process(TENSORGRAFT_MALLOC_TUNING="0") == "False"


@pytest.mark.skipif(GLIBC, reason="shown on systems without glibc")
def test_other_c_libraries_are_left_alone():
    assert _applied_in_fresh_process() == "False"


def test_settings_are_glibcs_own_upper_values():
    assert tuning.MMAP_THRESHOLD == 32 * 1024 * 1024  # DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
    assert tuning.TRIM_THRESHOLD >= 2 * tuning.MMAP_THRESHOLD  # never below glibc's own 2x rule
