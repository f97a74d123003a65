"""``torch.distributed.nn``: collectives that autograd differentiates (``functional``). They need
the autograd engine (tensorgraft-autograd)."""
from .functional import *  # noqa: F401,F403
from .functional import __all__  # noqa: F401
