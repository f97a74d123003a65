"""The vectorized vmap's rules for random ops are registered with the other rules when
``tensorgraft.func`` loads. They used to register at the first ``randomness="different"`` vmap, so
in a fresh process ``randomness="same"`` ran ``bernoulli`` of a batched tensor sample by sample
(PyTorch refuses it) and ``rand_like`` drew other numbers for every sample (PyTorch draws once).
Each check runs in a new interpreter, where no earlier vmap has loaded anything."""
import subprocess
import sys

import pytest

pytest.importorskip("tensorgraft.func")

_PROGRAM = """
import tensorgraft as torch
from tensorgraft.func import vmap
{body}
"""


def _run(body):
    out = subprocess.run([sys.executable, "-c", _PROGRAM.format(body=body)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_same_randomness_refuses_draws_from_batched_parameters():
    body = """
for f in [lambda a: torch.bernoulli(torch.sigmoid(a)), lambda a: torch.normal(a, 1.0),
          lambda a: torch.poisson(a + 2), lambda a: torch.multinomial(a + 1, 3), lambda a: a.bernoulli()]:
    try:
        vmap(f, randomness="same")(torch.zeros(3, 4))
        print("ran")
    except RuntimeError as e:
        print(e)
"""
    lines = _run(body).splitlines()
    assert lines == ["Vmap does not currently support same randomness with a batched tensor input. Please file an "
                     "issue with functorch"] * 5


def test_same_randomness_draws_once_for_every_sample():
    body = """
r = vmap(lambda a: torch.rand_like(a), randomness="same")(torch.zeros(3, 4))
print(r[0].tolist() == r[1].tolist() == r[2].tolist(), r[0].tolist() != [0.0] * 4)
"""
    assert _run(body) == "True True"
