"""``cupyx.scipy.special`` for the fake CuPy: SciPy's ufuncs (they keep the fake ndarray subclass)."""
from scipy.special import *  # noqa: F401,F403
