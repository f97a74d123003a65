"""``torch.distributed.elastic``: the parts launched programs use (``multiprocessing.errors.record``)."""
