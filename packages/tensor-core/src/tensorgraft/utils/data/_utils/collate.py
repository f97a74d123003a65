"""``torch.utils.data._utils.collate``'s names, kept in ``tensorgraft/utils/data/_collate.py``:
updating ``default_collate_fn_map`` here updates the one ``default_collate`` reads."""
from .._collate import (  # noqa: F401
    collate, collate_float_fn, collate_int_fn, collate_numpy_array_fn, collate_numpy_scalar_fn, collate_str_fn,
    collate_tensor_fn, default_collate, default_collate_err_msg_format, default_collate_fn_map, default_convert,
)
