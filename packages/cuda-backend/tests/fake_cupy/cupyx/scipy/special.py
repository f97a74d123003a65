"""``cupyx.scipy.special`` for the fake CuPy: SciPy's functions, only those real CuPy has
(../../cupy_api.json), returning device arrays as CuPy's do (some of SciPy's Python-level
functions, polygamma among them, hand back plain NumPy arrays)."""
import scipy.special as _sp

import cupy as _cupy

_cupy._mirror(globals(), _sp, _cupy.API["modules"]["cupyx.scipy.special"])
