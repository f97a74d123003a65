"""The ``npcopy`` device: NumPy arrays behind a device name of their own.

A device backend tells tensorgraft three things: which array namespace its arrays belong to
(``xp``, used by every op's generic kernel), how to move an array onto and off the device
(``from_host``/``to_host``), and whether it is usable (``is_available``/``unavailable_reason``).
Everything else — ``Tensor.to('npcopy')``, the device check of every op, autograd — is generic.
"""
from __future__ import annotations

import numpy as np

from tensorgraft.device import DeviceBackend
from tensorgraft.plugins import hookimpl


class NpCopyBackend(DeviceBackend):
    type = "npcopy"
    xp = np

    def __init__(self):
        self.transfers = {"to_device": 0, "to_host": 0}

    def device_count(self) -> int:
        return 1

    def current_index(self) -> int:
        return 0

    def from_host(self, array, index):
        self.transfers["to_device"] += 1
        return np.array(array, copy=True)  # a real backend would copy into device memory here

    def to_host(self, array):
        self.transfers["to_host"] += 1
        return np.array(array, copy=True)

    def owns(self, array) -> bool:
        # NumPy arrays belong to the CPU; as_tensor(ndarray) must never land on npcopy
        return False

    def array_index(self, array):
        return 0


BACKEND = NpCopyBackend()


@hookimpl
def tensorgraft_register_devices(registrar):
    registrar.register_device(BACKEND)


@hookimpl
def tensorgraft_report():
    return {"npcopy transfers": dict(BACKEND.transfers)}
