"""Backward formulas for core ops, one module per op family, mirroring ``tensorgraft/ops/``.

``FORMULAS`` maps op name -> formula; the autograd plugin registers them through
``tensorgraft_register_formulas``, the same hook a third-party op plugin uses.
"""
FORMULAS: dict = {}


def formula(*names, saves=None, saves_output=False, node=None, saves_crossed=False, multi_output=False,
            scalar_inputs=None, reroute=None, batched=None):
    """Declare the backward of one or more ops: ``@formula("add", saves=())``.

    ``saves``: the input positions the formula reads (kept on the node, so an in-place change
    to them raises at backward); a dict from node name to positions where PyTorch's overloads
    keep different things (``max(x, dim)`` keeps its indices only, the full ``max(x)`` its input).

    ``saves_crossed``: for a product of two operands, each is kept only when the *other* one
    requires grad (its gradient is the one that reads it), as PyTorch saves for ``mul``; an
    in-place change to an operand nobody will read then is no error.

    ``node`` names the graph node where PyTorch's name is not ``<CamelOpName>Backward0``: a
    string, a function of the op's inputs (overloads: ``PowBackward1``), or a dict from op name
    to either (aliases: ``multiply`` records ``MulBackward0``).

    ``multi_output``: the op's outputs share one node (``record_multi``), and the formula is
    called with the list of their gradients (``None`` where an output got none).

    ``scalar_inputs``: input positions that get no edge in ``next_functions`` when a number (or
    None) was passed there, as PyTorch's Scalar overloads have no input for it (``x.fmod(2)``:
    FmodBackward0 lists ``x`` alone); a tuple, or a dict from node name to tuple where only some
    of the op's overloads drop it (``clamp(x, 0, 1)``, ClampBackward1, drops its bounds, while
    ClampBackward0 keeps an empty edge for a bound left out next to a tensor one).

    ``reroute``: for ops that PyTorch records as several nodes (``2 / x`` is ``x.reciprocal() * 2``):
    ``reroute(out, inputs, attrs)`` records that graph for ``out`` instead of one node of the op
    and returns the last node, or returns None to record the op's node as usual; a function,
    or a dict from node name to function. Called for named node classes only (a ``node``
    given as a function of the inputs, or a name the frontend passes), off the common path.

    ``batched``: whether the formula may run once on gradients with a leading batch dimension
    (``grad(..., is_grads_batched=True)``, jacrev/jacfwd; see ``autograd/batched_backward.py``):
    True where it already works on such gradients unchanged (pure broadcasting of ``g`` against
    saved tensors, ``g * f'(x)``), or a formula of its own (``batched_of``). Undeclared formulas
    run once per batch entry, which is always right."""
    def deco(fn):
        fn.batched = batched
        fn.saves = saves
        fn.multi_output = multi_output
        fn.saves_crossed = saves_crossed
        fn.saves_output = saves_output
        fn.node = node
        fn.scalar_inputs = scalar_inputs
        fn.reroute = reroute
        for n in names:
            FORMULAS[n] = fn
        return fn
    return deco


def batched_of(fn):
    """Declare the decorated function the batched form of the formula ``fn``: called as
    ``batched(node, g)`` with ``g`` of shape (batch, *output shape), it returns gradients of shape
    (batch, *broadcast input shape), or None to have this node run once per batch entry instead."""
    def deco(batched):
        fn.batched = batched
        return batched
    return deco


def load_all():
    from . import conversion, distance, elementwise, indexing, linalg, reduction, scan, shape  # noqa: F401
    from . import combinatorics, special_functions, special_math  # noqa: F401
    from . import inplace, scatter, views  # noqa: F401
    from . import decompositions  # noqa: F401
    from . import complex, spectral  # noqa: F401
    from . import tensor_extras, stft  # noqa: F401
    from . import sparse_coo, sparse_row_products  # noqa: F401
    from . import sparse_compressed  # noqa: F401
    return FORMULAS
