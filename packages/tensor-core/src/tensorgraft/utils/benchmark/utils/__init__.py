"""The modules behind ``torch.utils.benchmark`` (``common``, ``timer``, ``compare``), at the paths
PyTorch's classes print (``torch.utils.benchmark.utils.common.Measurement``)."""
