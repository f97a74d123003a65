"""tensorgraft-example-ops: an example out-of-tree op plugin (see ``plugin.py``).

Importing this package does nothing by itself; tensorgraft loads ``tensorgraft_example_ops.plugin``
through its entry point and the ops appear as ``tensorgraft.ops.example.*``.
"""
__version__ = "0.1.0"
