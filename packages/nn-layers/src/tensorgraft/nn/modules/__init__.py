from .module import Module  # noqa: F401
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential  # noqa: F401
from .linear import Bilinear, Flatten, Identity, Linear, Unflatten  # noqa: F401
from .activation import (  # noqa: F401
    CELU, ELU, GELU, GLU, SELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax, Mish, PReLU,
    ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softmax2d, Softmin, Softplus, Softsign, Tanh, Tanhshrink, Threshold,
)
from .loss import (  # noqa: F401
    BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CosineSimilarity, CrossEntropyLoss, GaussianNLLLoss,
    HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss, NLLLoss, PairwiseDistance,
    PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss,
)
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d  # noqa: F401
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, Fold, Unfold  # noqa: F401
from .pooling import (  # noqa: F401
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d,
    MaxPool2d,
)
from .conv import Conv3d, ConvTranspose3d  # noqa: F401
from .pooling import AdaptiveAvgPool3d, AdaptiveMaxPool3d, AvgPool3d, MaxPool3d  # noqa: F401
from .normalization import (  # noqa: F401
    BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LayerNorm,
    LocalResponseNorm, RMSNorm,
)
from .sparse import Embedding  # noqa: F401
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401
from .rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNBase, RNNCell  # noqa: F401
from .transformer import (  # noqa: F401
    MultiheadAttention, Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)
from .activation import Hardshrink, PixelShuffle, PixelUnshuffle, Softshrink  # noqa: F401
from .loss import MultiLabelSoftMarginLoss, TripletMarginLoss  # noqa: F401
from .padding import (  # noqa: F401
    CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d, ReflectionPad1d,
    ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, ZeroPad1d, ZeroPad2d,
    ZeroPad3d,
)
from .dropout import FeatureAlphaDropout  # noqa: F401
from .sparse import EmbeddingBag  # noqa: F401
from .lazy import (  # noqa: F401
    LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d,
    LazyConvTranspose2d, LazyConvTranspose3d, LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear,
    UninitializedBuffer, UninitializedParameter,
)
from .loss import CTCLoss, MultiLabelMarginLoss, MultiMarginLoss  # noqa: F401
from .adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: F401
from .pooling import (  # noqa: F401
    FractionalMaxPool2d, FractionalMaxPool3d, LPPool1d, LPPool2d, LPPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d,
)
from .activation import ChannelShuffle  # noqa: F401,E402
from .loss import TripletMarginWithDistanceLoss  # noqa: F401,E402
from .rnn import RNNCellBase  # noqa: F401,E402
from .legacy import Container, CrossMapLRN2d, NLLLoss2d  # noqa: F401,E402
from . import (  # noqa: F401,E402  PyTorch's module paths (``torch.nn.modules.batchnorm`` ...)
    batchnorm, channelshuffle, distance, flatten, fold, instancenorm, pixelshuffle, utils,
)
from .data_parallel import DataParallel  # noqa: F401,E402
from .batchnorm import SyncBatchNorm  # noqa: F401,E402
from .linear_cross_entropy import LinearCrossEntropyLoss  # noqa: F401,E402
from .linear_cross_entropy_options import LinearCrossEntropyOptions  # noqa: F401,E402
from . import linear_cross_entropy_options  # noqa: F401,E402  (torch.nn.modules.linear_cross_entropy_options)
