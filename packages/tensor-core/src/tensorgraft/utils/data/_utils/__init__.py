"""``tensorgraft.utils.data._utils``: the module path PyTorch documents for extending
``default_collate`` (``torch.utils.data._utils.collate.default_collate_fn_map``)."""
from . import collate  # noqa: F401
