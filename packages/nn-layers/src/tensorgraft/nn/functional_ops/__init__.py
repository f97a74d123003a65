"""nn's fused ops (``tensorgraft.ops.nn.*``): kernel and gradient formula per concept file."""
from ._common import NN_FORMULAS, NN_OPS  # noqa: F401
from . import activation, conv, conv3d, embedding, linear, loss, norm, padding, pooling, pooling3d  # noqa: F401,E402
from . import resample  # noqa: F401,E402
from . import weight_norm  # noqa: F401,E402
from . import ctc_loss, margin_loss  # noqa: F401,E402
from . import grid_sample  # noqa: F401,E402
from . import shuffle_distance  # noqa: F401,E402
from . import attention  # noqa: F401,E402
from . import rnn_cell  # noqa: F401,E402  (the fused LSTM/GRU cells of nn.modules.rnn)
