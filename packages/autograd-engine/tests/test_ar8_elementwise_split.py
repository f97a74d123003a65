"""``formulas/elementwise.py`` was split by concept (arithmetic here, ``elementwise_unary``,
``elementwise_select``, shared helpers in ``elementwise_common``) under the 600-line rule of
DESIGN section 6: each file stays under it, and importing ``elementwise`` (all ``load_all``
imports) still registers every formula of the family."""
from __future__ import annotations

from pathlib import Path

import pytest

import tensorgraft as tg
from tensorgraft.autograd import formulas
from tensorgraft.autograd.formulas import FORMULAS

FAMILY = sorted(Path(formulas.__file__).parent.glob("elementwise*.py"))


def test_split_files_stay_under_the_line_limit():
    assert len(FAMILY) >= 4
    for path in FAMILY:
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 600, path.name


@pytest.mark.parametrize("name,module", [
    ("add", "elementwise"), ("pow", "elementwise"), ("floor_divide", "elementwise"), ("xlogy", "elementwise"),
    ("exp", "elementwise_unary"), ("tanh_backward", "elementwise_unary"), ("polygamma", "elementwise_unary"),
    ("clamp", "elementwise_select"), ("addcmul", "elementwise_select"), ("copy_", "elementwise_select"),
    ("normal", "elementwise_select"),
])
def test_formulas_registered_from_their_module(name, module):
    assert FORMULAS[name].__module__ == f"tensorgraft.autograd.formulas.{module}"


def test_registered_formulas_run():
    x = tg.tensor([0.5, 1.5, 2.5], requires_grad=True)
    y = (x.exp() + x.clamp(0, 2) * x.sin() + (2 ** x).tanh() - x.sub(x * x, alpha=2)).sum()
    g, = tg.autograd.grad(y, x)
    # d/dx of e^x + clamp(x,0,2) sin x + tanh(2^x) - x + 2x^2, by hand
    import math
    want = []
    for v in (0.5, 1.5, 2.5):
        inside = 0.0 <= v <= 2.0
        clamp = min(max(v, 0.0), 2.0)
        p = 2 ** v
        want.append(math.exp(v) + (math.sin(v) if inside else 0.0) + clamp * math.cos(v)
                    + (1 - math.tanh(p) ** 2) * p * math.log(2) - 1 + 4 * v)
    assert g.tolist() == pytest.approx(want, rel=1e-6)
