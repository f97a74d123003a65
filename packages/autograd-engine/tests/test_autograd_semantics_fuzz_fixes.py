"""Regressions from the differential fuzzer of autograd semantics (graph structure, flags, hooks,
saved-tensor hooks, custom Functions against PyTorch 2.13). Expected values, node names and
messages are PyTorch 2.13's, measured once with torch and written down here."""
import re

import pytest

import tensorgraft as torch

_SECOND = "Trying to backward through the graph a second time"


def _names(fn):
    return [None if n is None else n.name() for n, _ in fn.next_functions]


# --------------------------------------------------------------------------- .grad under create_graph
def test_leaf_grad_under_create_graph_is_copy_backwards_with_an_empty_first_edge():
    x = torch.ones(3, dtype=torch.float64, requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    fn = x.grad.grad_fn
    assert fn.name() == "torch::autograd::CopyBackwards"
    # PyTorch: ((None, 0), (<MulBackward0>, 0)) -- the zeros copied into need no gradient
    assert _names(fn)[0] is None and len(fn.next_functions) == 2
    x.grad.sum().backward()  # the copy passes the gradient through: 2 + d(sum(2x))/dx = 2 + 2
    assert x.grad.tolist() == [4.0, 4.0, 4.0]


def test_retained_grad_under_create_graph_is_clone_backward_then_out_of_place_sums():
    x = torch.ones(3, dtype=torch.float64, requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward(create_graph=True, retain_graph=True)
    assert y.grad.grad_fn.name() == "CloneBackward0"
    assert len(y.grad.grad_fn.next_functions) == 1
    first = y.grad
    (y * y).sum().backward(create_graph=True)
    assert y.grad.grad_fn.name() == "AddBackward0"
    assert y.grad is not first  # PyTorch's retain_grad adds out of place
    assert y.grad.tolist() == [8.0, 8.0, 8.0]


def test_retained_grad_without_create_graph_is_replaced_not_updated():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * 3).sum().backward(retain_graph=True)
    first = y.grad
    (y * 3).sum().backward()
    assert y.grad is not first and first.tolist() == [3.0, 3.0] and y.grad.tolist() == [6.0, 6.0]


# --------------------------------------------------------------------------- leaves that stopped requiring grad
@pytest.mark.parametrize("stop", ["detach_", "requires_grad_false"])
def test_accumulate_grad_stores_nothing_once_the_leaf_stopped_requiring_grad(stop):
    x = torch.ones(3, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    y = (x * 2).sum()
    x.detach_() if stop == "detach_" else x.requires_grad_(False)
    y.backward()
    assert x.grad is None
    assert seen == [[2.0, 2.0, 2.0]]  # the tensor hook still runs, as in PyTorch


# --------------------------------------------------------------------------- detach_ of views
@pytest.mark.parametrize("make", [lambda: torch.arange(3)[1:], lambda: torch.ones(2, 2).t(),
                                  lambda: torch.ones(3).unbind(0)[0],
                                  lambda: torch.ones(3, requires_grad=True).detach()[1:]])
def test_detach_in_place_is_refused_for_every_view(make):
    with pytest.raises(RuntimeError, match="Can't detach views in-place. Use detach\\(\\) instead."):
        make().detach_()


def test_detach_in_place_of_non_views_is_allowed():
    for t in (torch.ones(3).detach(), torch.ones(2, 2).T.contiguous(), torch.ones(2, 2).real):
        assert t.detach_() is t


# --------------------------------------------------------------------------- backward / grad input checks
@pytest.mark.parametrize("bad, kind", [(None, "NoneType"), (1.0, "float")])
def test_inputs_that_are_not_tensors_raise_pytorchs_runtime_error(bad, kind):
    x = torch.ones(2, requires_grad=True)
    msg = f"all inputs have to be Tensors or GradientEdges, but got {kind}"
    with pytest.raises(RuntimeError, match=msg):
        torch.autograd.grad(x.sum(), [bad])
    with pytest.raises(RuntimeError, match=msg):
        x.sum().backward(inputs=[bad])


@pytest.mark.parametrize("op", [lambda x: x.exp(), lambda x: x * 2, lambda x: x.log1p(), lambda x: x.pow(2)])
def test_backward_inputs_non_leaf_runs_its_freed_node_and_raises(op):
    x = torch.ones(3, requires_grad=True)
    y = op(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match=_SECOND):
        y.sum().backward(inputs=[y])
    assert torch.autograd.grad(y.sum(), [y])[0].tolist() == [1.0, 1.0, 1.0]  # grad does not run it


def test_backward_inputs_non_leaf_node_that_saved_nothing_runs_again():
    x = torch.ones(3, requires_grad=True)
    y = x + 1
    y.sum().backward()
    y.sum().backward(inputs=[y])
    assert y.grad.tolist() == [1.0, 1.0, 1.0]


class _Double(torch.autograd.Function):
    calls = []

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    def backward(ctx, g):
        _Double.calls.append(g.tolist())
        (x,) = ctx.saved_tensors
        return g * 2


def test_backward_inputs_custom_function_output_calls_its_backward():
    _Double.calls.clear()
    x = torch.ones(2, requires_grad=True)
    y = _Double.apply(x)
    seen = []
    y.grad_fn.register_hook(lambda gi, go: seen.append(([g.tolist() for g in gi], [g.tolist() for g in go])))
    y.sum().backward(inputs=[y])
    # PyTorch calls the Function's backward; its hooks see what it returned (not None)
    assert _Double.calls == [[1.0, 1.0]]
    assert seen == [([[2.0, 2.0]], [[1.0, 1.0]])]
    assert y.grad.tolist() == [1.0, 1.0] and x.grad is None
    with pytest.raises(RuntimeError, match=_SECOND):  # saved_tensors were freed
        y.sum().backward(inputs=[y])


# --------------------------------------------------------------------------- saved-tensor hooks
class _SaveOutput(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x * 3
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * 3 + 0 * x + 0 * y


def test_saved_tensors_hooks_pack_a_functions_saved_output_too():
    packed = []

    def pack(t):
        packed.append((t.tolist(), t.grad_fn.name() if t.grad_fn is not None else None))
        return t

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = _SaveOutput.apply(x)
    # PyTorch: the input, then the output (whose grad_fn is already the Function's node)
    assert packed == [([1.0, 2.0], None), ([3.0, 6.0], "_SaveOutputBackward")]
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_saved_output_packed_by_hooks_has_no_version_check():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.exp()  # ExpBackward0 saves its result
    out = y * 1
    y.mul_(2)
    out.sum().backward()  # PyTorch: no error (versions are not tracked through hooks)
    assert x.grad is not None


# --------------------------------------------------------------------------- custom Functions without recording
class _Ident(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_function_returning_an_input_that_requires_grad_gives_a_detached_alias_when_not_recording(mode):
    x = torch.ones(2, requires_grad=True)
    h = x * 2
    with getattr(torch, mode)():
        y = _Ident.apply(h)
    assert y is not h
    assert (y.requires_grad, y.is_leaf, y.grad_fn) == (False, True, None)
    assert h.grad_fn.name() == "MulBackward0"


def test_function_returning_an_input_without_grad_gives_a_new_alias():
    x = torch.ones(2)
    y = _Ident.apply(x)
    assert y is not x
    y.add_(1)
    assert x.tolist() == [2.0, 2.0]  # the same memory


class _NoMat(torch.autograd.Function):
    seen = []

    @staticmethod
    def forward(ctx, x):
        return x * 2, x.sum()

    @staticmethod
    def backward(ctx, ga, gb):
        _NoMat.seen.append(gb._version)
        return ga * 2


def test_materialized_zero_gradient_is_at_version_one():
    _NoMat.seen.clear()
    x = torch.ones(2, requires_grad=True)
    a, _ = _NoMat.apply(x)
    a.sum().backward()
    assert _NoMat.seen == [1]  # PyTorch fills zeros_like in place


def test_backward_inputs_non_leaf_node_checks_the_versions_of_what_it_saved():
    x = torch.ones(3, requires_grad=True)
    a, b = x * 1, x * 1
    c = a * b  # saves a and b
    b.add_(1)
    with pytest.raises(RuntimeError, match="which is output 0 of Add, is at version 1; expected version 0"):
        (c * 2).sum().backward(inputs=[c])


def test_backward_inputs_non_leaf_node_unpacks_its_saved_tensor_hooks():
    log = []
    x = torch.ones(3, requires_grad=True)
    a = x * 1
    with torch.autograd.graph.saved_tensors_hooks(lambda t: (log.append("pack"), t)[1],
                                                  lambda t: (log.append("unpack"), t)[1]):
        c = a.exp()
    (c * 2).sum().backward(inputs=[c])
    assert log == ["pack", "unpack"] and c.grad.tolist() == [2.0, 2.0, 2.0]


# --------------------------------------------------------------------------- misc
def test_detach_in_place_does_nothing_in_inference_mode():
    x = torch.ones(3, requires_grad=True)
    y = x.cos()
    v = x[1:]
    with torch.inference_mode():
        y.detach_()
        v.detach_()  # (no view error either)
        x.detach_()
    assert y.grad_fn.name() == "CosBackward0" and v.grad_fn.name() == "SliceBackward0"
    assert x.requires_grad


def test_custom_function_node_is_not_callable():
    y = _Double.apply(torch.ones(2, requires_grad=True))
    with pytest.raises(TypeError, match="'_DoubleBackward' object is not callable"):
        y.grad_fn(torch.ones(2))


class _ViewOut(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.view(-1)

    @staticmethod
    def backward(ctx, g):
        return g.view(2, 2)


@pytest.mark.parametrize("fn, name", [(_ViewOut, "_ViewOut"), (_Ident, "_Ident")])
def test_custom_function_view_output_is_unusable_once_its_base_changed_in_place(fn, name):
    a = torch.ones(2, 2, requires_grad=True) * 1
    v = fn.apply(a)
    (v * 2).sum().backward(retain_graph=True)  # fine before the write
    a.add_(1)
    msg = (f"Output 0 of {name} is a view and its base or another view of its base has been modified inplace. This "
           "view was created inside a custom Function")
    with pytest.raises(RuntimeError, match=msg):
        v * 2
    with pytest.raises(RuntimeError, match=msg):
        v.sum().backward()


# --------------------------------------------------------------------------- tensor hooks
@pytest.mark.parametrize("split", [lambda x: x.unbind(0), lambda x: x.split(1)])
def test_hook_of_a_multi_output_piece_without_gradient_is_called_with_none(split):
    x = torch.ones(2, 3, requires_grad=True)
    a, b = split(x)
    seen = []
    a.register_hook(lambda g: seen.append(g))
    a.retain_grad()
    b.sum().backward()
    assert seen == [None]  # PyTorch calls the hook with None
    assert a.grad is None  # (retain_grad keeps nothing)
    assert x.grad.tolist() == [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]


def test_retain_grad_on_a_view_after_its_base_changed_lands_on_the_regenerated_history():
    x = torch.ones(3, requires_grad=True)
    a = x * 1
    v = a[1:]
    a.mul_(2)
    v.retain_grad()
    (v * 3).sum().backward()
    assert v.grad.tolist() == [3.0, 3.0]
    assert x.grad.tolist() == [0.0, 6.0, 6.0]


def test_hook_on_a_view_after_its_base_changed_fires():
    # (PyTorch 2.13 itself crashes with a segfault here; the hook follows retain_grad's behaviour
    # above, which PyTorch gives, and lands on the view's regenerated history)
    x = torch.ones(3, requires_grad=True)
    a = x * 1
    v = a[1:]
    a.mul_(2)
    seen = []
    v.register_hook(lambda g: seen.append(g.tolist()))
    (v * 3).sum().backward()
    assert seen == [[3.0, 3.0]]


# --------------------------------------------------------------------------- saved tensors detached in place
_DETACHED = re.escape("Trying to use a saved tensor that has been detached in-place, i.e. with .detach_().This is not "
                      "supported, please use out-of-place `.detach()` instead")


def test_saved_non_leaf_detached_in_place_is_refused():
    x = torch.ones(3, requires_grad=True)
    a = x * 1
    y = a * a
    a.detach_()
    with pytest.raises(RuntimeError, match=_DETACHED):
        y.sum().backward()


@pytest.mark.parametrize("stop", ["detach_", "requires_grad_false"])
def test_saved_leaf_that_stopped_requiring_grad_is_fine(stop):
    x = torch.ones(3, requires_grad=True)
    y = x * x
    x.detach_() if stop == "detach_" else x.requires_grad_(False)
    y.sum().backward()
    assert x.grad is None


# --------------------------------------------------------------------------- CopySlices freed
@pytest.mark.parametrize("write", ["setitem", "view_inplace"])
def test_second_backward_through_copy_slices_is_refused_even_when_nothing_was_saved(write):
    x = torch.ones(2, 3, requires_grad=True)
    a = x + 1  # AddBackward0 saves nothing
    if write == "setitem":
        a[0] = 3.0
    else:
        a[0].add_(1)
    assert a.grad_fn.name() == "torch::autograd::CopySlices"
    a.sum().backward()
    with pytest.raises(RuntimeError, match=_SECOND):
        a.sum().backward()


def test_backward_through_copy_slices_twice_with_retain_graph():
    x = torch.ones(2, 3, requires_grad=True)
    a = x + 1
    a[0] = 3.0
    a.sum().backward(retain_graph=True)
    a.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]]


# --------------------------------------------------------------------------- nodes reached without a gradient
class _NoneBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return None


def test_hooks_of_nodes_reached_without_a_gradient_see_none_in_pytorchs_order():
    log = []
    x = torch.ones(2, requires_grad=True)
    x.register_hook(lambda g: log.append(("leaf hook", g)))
    x.register_post_accumulate_grad_hook(lambda t: log.append(("post acc", t.grad)))
    a = x.exp()
    a.register_hook(lambda g: log.append(("a hook", g)))
    a.grad_fn.register_prehook(lambda go: log.append(("a prehook", go)))
    a.grad_fn.register_hook(lambda gi, go: log.append(("a posthook", gi, go)))
    acc = a.grad_fn.next_functions[0][0]
    acc.register_prehook(lambda go: log.append(("acc prehook", go)))
    acc.register_hook(lambda gi, go: log.append(("acc posthook", gi, go)))
    _NoneBackward.apply(a).sum().backward()
    assert log == [("a hook", None), ("a prehook", (None,)), ("a posthook", (None,), (None,)),
                   ("leaf hook", None), ("acc prehook", (None,)), ("post acc", None),
                   ("acc posthook", (), (None,))]
    assert x.grad is None


def test_leaf_detached_then_given_a_history_is_refused_by_its_old_accumulator():
    x = torch.ones(3, requires_grad=True)
    y = x.exp()
    x.detach_()
    x.mul_(torch.ones(3, requires_grad=True))  # x is now a non-leaf
    with pytest.raises(RuntimeError, match="leaf variable has been moved into the graph interior"):
        y.sum().backward()


@pytest.mark.parametrize("arg, msg", [(None, "increment_version expect a Iterable\\[Tensor\\] as input"),
                                      (1, "increment_version expect a Iterable\\[Tensor\\] as input"),
                                      ([None], "increment_version expects each element of the iterable to be a tensor"),
                                      ("ab", "increment_version expects each element of the iterable to be a tensor")])
def test_increment_version_refuses_what_is_not_tensors(arg, msg):
    with pytest.raises(RuntimeError, match=msg):
        torch.autograd.graph.increment_version(arg)


def test_increment_version_bumps_the_tensors_before_a_bad_element():
    t = torch.ones(1)
    with pytest.raises(RuntimeError, match="each element"):
        torch.autograd.graph.increment_version((t, 2))
    assert t._version == 1
    torch.autograd.graph.increment_version([])


def test_copy_of_a_tensor_into_itself_is_recorded():
    # PyTorch 2.13: y.copy_(y) records CopyBackwards (both edges to y's history); on a view of a
    # leaf it is refused like any in-place write
    x = torch.ones(3, requires_grad=True)
    y = x * 2
    r = y.copy_(y)
    assert r.grad_fn.name() == "torch::autograd::CopyBackwards" and r._version == 1
    assert [type(n).__name__ for n, _ in r.grad_fn.next_functions] == ["MulBackward0", "MulBackward0"]
    r.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    v = x[0:2]
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation.$"):
        v.copy_(v)


_NO_GRAD_VIEW = ("A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that "
                 "this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving "
                 "both the view and the inplace either both inside the no_grad block (if you don't want the inplace "
                 "to be tracked) or both outside (if you want the inplace to be tracked).")


def test_a_view_made_in_no_grad_requires_grad_and_reaches_nothing():
    # PyTorch 2.13: the view of a tensor that requires grad, made while nothing records, still
    # requires grad (a leaf); ops on it record nodes without an edge to it; detach() does not
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        v, d, g, e = x[0:2], x.detach(), x.unbind(0)[0], x.expand(2, 3)
        inside = v * 2
    assert (v.requires_grad, v.is_leaf, v.grad_fn) == (True, True, None)
    assert (d.requires_grad, g.requires_grad, e.requires_grad, inside.requires_grad) == (False, True, True, False)
    y = v * 2
    assert type(y.grad_fn).__name__ == "MulBackward0" and y.grad_fn.next_functions == ((None, 0), (None, 0))
    y.sum().backward()
    assert x.grad is None
    with pytest.raises(RuntimeError, match="^Can't call numpy\\(\\) on Tensor that requires grad"):
        v.numpy()
    with torch.inference_mode():
        assert x[0:1].requires_grad


@pytest.mark.parametrize("write", [lambda v: v.mul_(2), lambda v: v.fill_(1), lambda v: v.zero_(),
                                   lambda v: v.copy_(torch.zeros(2)), lambda v: v.clamp_(0, 1),
                                   lambda v: v.masked_fill_(torch.tensor([True, False]), 5.0),
                                   lambda v: v.__setitem__(torch.tensor([True, False]), 5.0)])
def test_writing_into_a_no_grad_view_with_grad_mode_on_is_refused(write):
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        v = x[0:2]
    with pytest.raises(RuntimeError, match=f"^{re.escape(_NO_GRAD_VIEW)}$"):
        write(v)
    assert x.tolist() == [1.0, 1.0, 1.0]  # (refused before anything was written)
    with torch.no_grad():
        v.mul_(3)  # inside no_grad it is allowed, as in PyTorch
    assert x.tolist() == [3.0, 3.0, 1.0]


def test_indexed_write_into_a_no_grad_view_names_the_view_it_goes_through():
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        v = x[0:2]
    tail = _NO_GRAD_VIEW.split("grad mode enabled.", 1)[1]
    for index, via in ((0, "Select"), (slice(0, 1), "Slice")):
        with pytest.raises(RuntimeError, match=f"^{re.escape(f'Output 0 of {via} is a view of a view which was created in no_grad mode and is being modified inplace with grad mode enabled.{tail}')}$"):
            v[index] = 5.0
