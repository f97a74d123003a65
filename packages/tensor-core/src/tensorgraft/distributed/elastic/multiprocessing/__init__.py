"""``torch.distributed.elastic.multiprocessing``: error reporting of launched workers (``errors``)."""
