"""The tensorgraft pytest plugin, for ``-p tensorgraft.testing.pytest_plugin``. The installed
``pytest11`` entry point uses the top-level ``tensorgraft_pytest`` module instead: importing it
does not import tensorgraft, so a pytest run that never touches tensorgraft never loads its
plugins (and a broken tensorgraft plugin cannot abort an unrelated test run)."""
from tensorgraft_pytest import *  # noqa: F401,F403
from tensorgraft_pytest import pytest_configure, pytest_generate_tests, tg_conformance, tg_device, tg_op  # noqa: F401
