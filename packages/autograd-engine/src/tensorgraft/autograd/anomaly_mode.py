"""``tensorgraft.autograd.anomaly_mode``: the module PyTorch's anomaly switches live in
(``torch.autograd.anomaly_mode``). They are defined in ``anomaly.py``, beside the engine hook that
checks each node; this module names the same objects."""
from .anomaly import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
