"""``import tensorgraft`` moves the objects it made into the cyclic collector's permanent generation
(``_gc_tuning``); ``TENSORGRAFT_GC_FREEZE=0`` leaves the collector alone. Each case runs in a fresh
interpreter, since the freeze is the process's."""
import os
import subprocess
import sys

PROGRAM = """
import gc, weakref
import tensorgraft
print(tensorgraft._gc_tuning.applied, gc.get_freeze_count())
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a          # a cycle made after the import
alive = weakref.ref(a)
del a, b
gc.collect()
print(alive() is None)           # is still collected
x = tensorgraft.ones(3) * 2      # and tensorgraft works as usual
print(x.tolist())
"""


def _run(**env):
    out = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True,
                         env={**os.environ, **env})
    return out.stdout.split("\n")


def test_import_objects_are_frozen_and_later_cycles_still_collected():
    applied, collected, values = _run(TENSORGRAFT_GC_FREEZE="1")[:3]
    flag, count = applied.split()
    assert flag == "True" and int(count) > 10000  # tensorgraft's own objects (~40,000 with NumPy's)
    assert collected == "True"
    assert values == "[2.0, 2.0, 2.0]"


def test_opt_out_leaves_the_collector_alone():
    applied, collected, values = _run(TENSORGRAFT_GC_FREEZE="0")[:3]
    assert applied == "False 0"
    assert collected == "True" and values == "[2.0, 2.0, 2.0]"
