"""tensorgraft.nn (distribution tensorgraft-nn): ``torch.nn``-compatible modules, losses,
functional API, initializers and utilities, built on fused ops registered as ``tensorgraft.ops.nn.*``."""
from .parameter import Buffer, Parameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from . import functional, init, utils  # noqa: F401,E402
from .modules.module import _IncompatibleKeys  # noqa: F401
