"""GPU workloads (issue 9): the same training steps as training.py, on ``cuda`` — tensorgraft on
CuPy against PyTorch on CUDA in the same run, each step ending in a device synchronize, plus
tensorgraft's CPU time for the same step. Without a GPU each row says why it was skipped."""
from __future__ import annotations

from . import Workload
from .training import mlp784, seed_manual, small_cnn

GPU = "cuda"

WORKLOADS = [
    Workload("cuda_seed_manual_step", "seed two-layer net trained by hand (N=64, 1000-100-10) on cuda: one step",
             tensorgraft=seed_manual("tensorgraft", GPU), torch=seed_manual("torch", GPU),
             tensorgraft_cpu=seed_manual("tensorgraft"), target="tg/torch <= 1.3"),
    Workload("cuda_mlp784_b1024_step", "784-512-512-10 MLP, batch 1024, cross-entropy + Adam on cuda: one step",
             tensorgraft=mlp784("tensorgraft", 1024, GPU), torch=mlp784("torch", 1024, GPU),
             tensorgraft_cpu=mlp784("tensorgraft", 1024), target="tg/torch <= 1.3"),
    Workload("cuda_small_cnn_b256_step", "small CNN (2x conv3x3+ReLU+maxpool, Linear), batch 256x3x32x32, SGD "
             "momentum on cuda: one step",
             tensorgraft=small_cnn("tensorgraft", 256, GPU), torch=small_cnn("torch", 256, GPU),
             tensorgraft_cpu=small_cnn("tensorgraft", 256), target="tg/torch <= 1.3"),
]
