"""Constructor argument checks the built-in optimizers share, with PyTorch's messages and order.

PyTorch validates in a fixed order (a many-element tensor ``lr`` first, then the value ranges, then
tensor-valued hyper-parameters, then — after the parameter groups are built — ``fused``), and ported
code may rely on which error comes first, so each optimizer calls these helpers in that order.
"""
from __future__ import annotations

from tensorgraft.tensor import Tensor

__all__ = ["check", "check_lr", "check_not_below_zero", "check_adam_family", "check_tensor_hyperparameters", "check_fused"]


def check(cond: bool, message: str) -> None:
    if not cond:
        raise ValueError(message)


def check_lr(lr, message: str = "Invalid learning rate: {}", strict: bool = False) -> None:
    """``lr`` may be a one-element tensor; ``strict`` refuses 0 too (SparseAdam)."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    check(0.0 < lr if strict else 0.0 <= lr, message.format(lr))


def check_not_below_zero(value, message: str) -> None:
    """``value < 0`` refused: SGD's form of the range checks (a NaN passes, a str fails on ``<``),
    where the other optimizers test ``0.0 <= value`` (a NaN fails, a str fails on ``<=``)."""
    if value < 0.0:
        raise ValueError(message)


def check_adam_family(lr, betas, eps, weight_decay) -> None:
    """lr, eps, both betas and weight_decay, as Adam, AdamW, Adamax, NAdam and RAdam check them."""
    check_lr(lr)
    check(0.0 <= eps, f"Invalid epsilon value: {eps}")
    check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")


def check_tensor_hyperparameters(lr, betas, foreach, capturable) -> None:
    """Adam/AdamW: tensor betas come in pairs, and the foreach path takes tensor ``lr``/``betas`` only
    when capturable (checked before the parameter groups are built, as PyTorch does)."""
    if isinstance(betas[0], Tensor) != isinstance(betas[1], Tensor):
        raise ValueError("betas must be either both floats or both Tensors")
    if foreach and not capturable:
        if isinstance(lr, Tensor):
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        if isinstance(betas[0], Tensor):
            raise ValueError("betas[0] as a Tensor is not supported for capturable=False and foreach=True")


def check_fused(fused, foreach, differentiable) -> None:
    """The ``fused`` flag's conflicts (SGD, Adam, AdamW, Adagrad), checked after the groups are built."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
