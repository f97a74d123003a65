"""Backward formulas for core ops, one module per op family, mirroring ``tensorgraft/ops/``.

``FORMULAS`` maps op name -> formula; the autograd plugin registers them through
``tensorgraft_register_formulas``, the same hook a third-party op plugin uses.
"""
FORMULAS: dict = {}


def formula(*names, saves=None, saves_output=False, node=None, saves_crossed=False, multi_output=False):
    """Declare the backward of one or more ops: ``@formula("add", saves=())``.

    ``saves_crossed``: for a product of two operands, each is kept only when the *other* one
    requires grad (its gradient is the one that reads it), as PyTorch saves for ``mul``; an
    in-place change to an operand nobody will read then is no error.

    ``node`` names the graph node where PyTorch's name is not ``<CamelOpName>Backward0``: a
    string, a function of the op's inputs (overloads: ``PowBackward1``), or a dict from op name
    to either (aliases: ``multiply`` records ``MulBackward0``).

    ``multi_output``: the op's outputs share one node (``record_multi``), and the formula is
    called with the list of their gradients (``None`` where an output got none)."""
    def deco(fn):
        fn.saves = saves
        fn.multi_output = multi_output
        fn.saves_crossed = saves_crossed
        fn.saves_output = saves_output
        fn.node = node
        for n in names:
            FORMULAS[n] = fn
        return fn
    return deco


def load_all():
    from . import conversion, distance, elementwise, indexing, linalg, reduction, scan, shape  # noqa: F401
    from . import combinatorics, special_functions, special_math  # noqa: F401
    from . import inplace, scatter, views  # noqa: F401
    from . import decompositions  # noqa: F401
    from . import complex, spectral  # noqa: F401
    from . import tensor_extras, stft  # noqa: F401
    return FORMULAS
