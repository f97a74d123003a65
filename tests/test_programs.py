"""PyTorch-style programs run unchanged and print what PyTorch prints.

``tests/programs/*.py`` are small programs written the way PyTorch users write them (tutorial-style
training loops, custom Functions, hooks, schedulers, printing), with ``import tensorgraft as torch``
(and ``from tensorgraft.utils.data import ...`` and so on) as their only difference from PyTorch code.
Next to each, ``<name>.expected`` holds what PyTorch 2.13 (CPU) printed for it, written by
``python tools/expect_programs.py`` in an environment with PyTorch.

* every environment with the parts a program needs runs it on tensorgraft and compares its output
  with the ``.expected`` file, so PyTorch is not needed to catch a regression;
* the ``oracle`` environment also runs it on PyTorch and checks the ``.expected`` file is still
  what PyTorch prints (an expectation edited by hand, or a PyTorch change, fails there).

Outputs are compared line by line: the text must be equal, and the numbers in it equal to within
``rtol``/``atol`` (2e-4 unless the program's header says ``# tolerance: <rtol>``), because matrix
products and reductions sum in another order than PyTorch's kernels and a printed 4th digit can turn. Two more differences carry no
meaning and are let through: the order of a printed set of strings (Python's hash order changed in
3.11, and the records come from 3.11), and the padding before numbers in a line where a zero prints
with the other sign (-0. in one library widens every column of that tensor).
A program declares the parts it needs beyond tensor-core with a header line ``# needs: nn optim``
(optional libraries too: ``tensorboard``, ``PIL``, ``matplotlib``).
"""
from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"
ALL = sorted(p.name for p in PROGRAMS.glob("*.py") if not p.name.startswith("_"))
# what a ``# needs:`` name requires: a tensorgraft part, or an optional library a program uses
PARTS = {"autograd": "tensorgraft.autograd", "nn": "tensorgraft.nn", "optim": "tensorgraft.optim",
         "tensorboard": "tensorboard", "PIL": "PIL", "matplotlib": "matplotlib"}
DEFAULT_TOLERANCE = 2e-4

_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def _header(source: str, key: str) -> list[str]:
    for line in source.splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].split()
    return []


def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def run_program(path: Path, use_torch: bool = False) -> str:
    """The program's stdout, run in a fresh interpreter on tensorgraft or (``use_torch``) on PyTorch."""
    source = path.read_text(encoding="utf-8")
    if use_torch:
        source = re.sub(r"\btensorgraft\b", "torch", source)
    env = dict(os.environ, PYTHONHASHSEED="0")
    if not use_torch:
        # the records are PyTorch's CPU build's output, so programs that pick "cuda if available"
        # must see no GPU here either: none for real CuPy, none for the test suite's stand-in
        env.update(CUDA_VISIBLE_DEVICES="", FAKE_CUPY_DEVICES="0")
    proc = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, env=env, timeout=600,
                          cwd=path.parent)
    library = "PyTorch" if use_torch else "tensorgraft"
    assert proc.returncode == 0, f"{path.name} failed on {library}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _number_form(match) -> str:
    """A number's written form without its value or sign ("3." and "3" differ, "1.0000" and "-2.5000"
    do not): a value printed on the other side of zero, like -0.0000, is judged by the tolerance."""
    return re.sub(r"\d", "9", match.group().lstrip("+-"))


_STRING_SET = re.compile(r"\{('[^'{}]*'(?:, '[^'{}]*')*)\}")
_PADDED_NUMBER = re.compile(r"\s*" + _NUMBER.pattern)


def _sorted_sets(line: str) -> str:
    """Sets of strings with their items sorted: Python prints a set in hash order, which differs
    between Python versions (3.11 changed the string hash), and the records come from 3.11."""
    return _STRING_SET.sub(lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", line)


def _skeleton(line: str, padding: bool) -> str:
    if padding:
        return _NUMBER.sub(_number_form, line)
    # without the spaces before each number: a tensor's columns are padded to its widest entry, so a
    # zero printed as -0. in one library (another summation order) shifts the padding of the rest
    return _PADDED_NUMBER.sub(lambda m: "#" + _number_form(_NUMBER.search(m.group())), line)


def lines_match(mine: str, reference: str, rtol: float) -> bool:
    """Equal text around the numbers, and each number within ``rtol`` (relative) or ``rtol``
    (absolute, for values near zero) of the reference's. Sets of strings may list their items in
    another order; when the numbers include a zero of the other sign, the padding before numbers
    may differ too."""
    mine, reference = _ADDRESS.sub("ADDR", mine), _ADDRESS.sub("ADDR", reference)
    if mine == reference:
        return True
    mine, reference = _sorted_sets(mine), _sorted_sets(reference)
    if mine == reference:
        return True
    a_nums, b_nums = _NUMBER.findall(mine), _NUMBER.findall(reference)
    signed_zero = any(float(a) == 0 and float(b) == 0 and a[:1] != b[:1] for a, b in zip(a_nums, b_nums))
    if _skeleton(mine, True) != _skeleton(reference, True) and not (
            signed_zero and _skeleton(mine, False) == _skeleton(reference, False)):
        return False
    for a, b in zip(_NUMBER.findall(mine), _NUMBER.findall(reference)):
        if not math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=rtol):
            return False
    return True


def assert_same_output(ours: str, expected: str, rtol: float, name: str) -> None:
    a, b = ours.splitlines(), expected.splitlines()
    for number, (mine, reference) in enumerate(zip(a, b), 1):
        assert lines_match(mine, reference, rtol), (
            f"{name} line {number} differs from PyTorch's:\n  ours:    {mine!r}\n  PyTorch: {reference!r}")
    assert len(a) == len(b), f"{name}: {len(a)} lines against PyTorch's {len(b)}:\n{ours}\n--- PyTorch:\n{expected}"


def _prepare(name: str):
    path = PROGRAMS / name
    source = path.read_text(encoding="utf-8")
    for part in ["autograd"] + _header(source, "needs"):
        if not _have(PARTS[part]):
            pytest.skip(f"{PARTS[part]} is not installed in this environment")
    tolerance = _header(source, "tolerance")
    expected = path.with_suffix(".expected")
    assert expected.exists(), f"{expected.name} is missing: run `python tools/expect_programs.py {name}` with PyTorch"
    return path, expected.read_text(encoding="utf-8"), float(tolerance[0]) if tolerance else DEFAULT_TOLERANCE


def test_there_are_programs():
    assert len(ALL) >= 1 and all((PROGRAMS / n).with_suffix(".expected").exists() for n in ALL)


# the Python the records were made with: Python's own reprs change between versions (OrderedDict
# prints as OrderedDict({...}) from 3.12, sets of strings hash in another order before 3.11)
RECORDED_PYTHON = (3, 11)


@pytest.mark.parametrize("name", ALL)
def test_program_prints_what_pytorch_prints(name):
    path, expected, rtol = _prepare(name)
    ours = run_program(path)  # runs to the end on every Python
    if sys.version_info[:2] != RECORDED_PYTHON:
        assert len(ours.splitlines()) == len(expected.splitlines()), f"{name}: another number of lines"
        pytest.skip(f"the records are Python {'.'.join(map(str, RECORDED_PYTHON))}'s output (Python's own "
                    "reprs differ between versions): the program ran and printed as many lines")
    assert_same_output(ours, expected, rtol, name)


@pytest.mark.parametrize("name", ALL)
def test_expected_output_is_pytorchs(name):
    pytest.importorskip("torch")
    if sys.version_info[:2] != RECORDED_PYTHON:
        pytest.skip("the records are Python 3.11's output")
    path, expected, rtol = _prepare(name)
    assert_same_output(run_program(path, use_torch=True), expected, rtol, name)


@pytest.mark.parametrize("mine,reference,same", [
    ("tensor([1.0000, 2.5000])", "tensor([1.0001, 2.5000])", True),   # a turned 4th digit
    ("tensor([1.0000, 2.5000])", "tensor([1.0100, 2.5000])", False),  # a real difference
    ("loss 0.5", "loss: 0.5", False),                                 # the text around differs
    ("tensor(3.)", "tensor(3)", False),
    ("<Foo object at 0x7f00aa>", "<Foo object at 0x55bb01>", True),
    ("step 10", "step 11", False),
    ("x1 = 2.0000e-05", "x1 = 2.0001e-05", True),  # the "1" of "x1" is not a number
    ("-0.0000", "0.0000", True),                                     # a sign turned by rounding
    ("[ 0.,  0.,  0.],", "[ 0.,  0., -0.],", True),                   # ... which pads the others
    ("[1.,  2.]", "[1., 2.]", False),                                # padding differing by itself
    ("one of {'valid', 'same'}", "one of {'same', 'valid'}", True),   # a set printed in hash order
    ("one of {'valid', 'same'}", "one of {'same', 'full'}", False),
])
def test_lines_match(mine, reference, same):
    assert lines_match(mine, reference, DEFAULT_TOLERANCE) is same
