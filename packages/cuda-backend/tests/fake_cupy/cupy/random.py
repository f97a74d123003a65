SEEDS = {}


def seed(s):
    from . import cuda
    SEEDS[cuda.runtime.getDevice()] = s
