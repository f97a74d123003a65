"""Take the objects ``import tensorgraft`` makes out of the cyclic garbage collector's rounds.

Importing tensorgraft makes ~25,000 objects that live as long as the process (the ops' frontends
and kernels: functions, closures, partials; classes, modules). Python's cyclic collector walks every
tracked object at each full collection: during a program (a training loop triggers full collections
now and then) and several times while the interpreter shuts down — with tensorgraft's objects, each
full walk takes 5-10 ms here, and a script's exit ~20 ms more than with NumPy alone.
``gc.freeze()`` at the end of the import moves everything alive then into the collector's permanent
generation, which it never walks: the same objects, none of the work. Objects the program made
before ``import tensorgraft`` are frozen too; one that was already unreachable garbage in a reference
cycle at that moment is then never freed (programs import tensorgraft at the top, before making
any). ``TENSORGRAFT_GC_FREEZE=0`` in the environment leaves the collector alone.
"""
from __future__ import annotations

import gc
import os

applied = False  # whether this process's import objects were frozen (read by tests)


def freeze_import_objects() -> None:
    global applied
    if os.environ.get("TENSORGRAFT_GC_FREEZE", "1") == "0":
        return
    gc.freeze()
    applied = True
