"""``ZeroRedundancyOptimizer``: an optimizer whose state is split across the ranks (ZeRO stage 1).

Every rank holds all the parameters (as with DDP, whose averaged gradients it expects) but keeps
optimizer state (Adam's moments, momentum buffers...) only for its share of them: each parameter
belongs to one rank, which updates it with a local ``optimizer_class`` instance; after the local
step every rank broadcasts its parameters' new values, one message per owner rank and dtype. The
updates are the ones the plain optimizer would make, so training gives the same parameters while
the state takes 1/world_size of the memory.

Shares are made as PyTorch makes them: within each parameter group, largest parameters first, each
to the rank with the fewest elements so far. ``state_dict()`` needs ``consolidate_state_dict(to=r)``
on every rank first (the state is gathered on rank ``r``, in the plain optimizer's layout);
``load_state_dict`` takes such a full state and keeps each rank's share.
"""
from __future__ import annotations

import tensorgraft as _tg
from tensorgraft.optim import Optimizer

from .. import broadcast, broadcast_object_list, get_rank, get_world_size
from ..process_group import GroupMember, get_global_rank

__all__ = ["ZeroRedundancyOptimizer"]


class ZeroRedundancyOptimizer(Optimizer):
    """``ZeroRedundancyOptimizer(params, optimizer_class, process_group=None,
    parameters_as_bucket_view=False, overlap_with_ddp=False, **defaults)``."""

    def __init__(self, params, optimizer_class, process_group=None, parameters_as_bucket_view: bool = False,
                 overlap_with_ddp: bool = False, **defaults):
        if overlap_with_ddp:
            raise ValueError("ZeroRedundancyOptimizer(overlap_with_ddp=True) is not supported by tensorgraft: "
                             "it needs DDP communication hooks that run the optimizer; leave it False")
        if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, Optimizer)):
            raise TypeError(f"optimizer_class must be a tensorgraft optimizer class, got {optimizer_class!r}")
        super().__init__(params, defaults)
        self.process_group = process_group if process_group is not None else GroupMember.WORLD
        self.rank, self.world_size = get_rank(self.process_group), get_world_size(self.process_group)
        self.parameters_as_bucket_view = parameters_as_bucket_view
        self._optim_constructor, self._optim_defaults = optimizer_class, defaults
        self._all_state_dicts: list = []
        self._build_partition()

    # ------------------------------------------------------------------ the shares
    def _build_partition(self) -> None:
        self._partition = self._shares()
        mine = [g for g in self._partition[self.rank] if g["params"]]
        # (a rank may own nothing when there are more ranks than parameters: it only receives)
        self.optim = self._optim_constructor(mine, **self._optim_defaults) if mine else None

    def _shares(self) -> list:
        """Each rank's param groups (every group, possibly empty, in order)."""
        sizes = [0] * self.world_size
        per_rank = [[] for _ in range(self.world_size)]
        for group in self.param_groups:
            shares = [[] for _ in range(self.world_size)]
            for p in sorted(group["params"], key=lambda t: t.numel(), reverse=True):
                r = sizes.index(min(sizes))
                shares[r].append(p)
                sizes[r] += p.numel()
            for r in range(self.world_size):
                per_rank[r].append(dict({k: v for k, v in group.items() if k != "params"}, params=shares[r]))
        return per_rank

    def add_param_group(self, param_group: dict) -> None:
        """Add a group; its parameters are shared out after the existing ones (whose owners, and so
        the local optimizers' state, do not change)."""
        super().add_param_group(param_group)
        if not hasattr(self, "optim"):  # (called by Optimizer.__init__ before the shares exist)
            return
        self._partition = self._shares()
        new_share = self._partition[self.rank][-1]
        if not new_share["params"]:
            return
        if self.optim is None:
            self.optim = self._optim_constructor([new_share], **self._optim_defaults)
        else:
            self.optim.add_param_group(new_share)

    def _paired_groups(self) -> list:
        """(full group, local optimizer's group) for each group this rank owns parameters of."""
        if self.optim is None:
            return []
        owned = [g for g, share in zip(self.param_groups, self._partition[self.rank]) if share["params"]]
        return list(zip(owned, self.optim.param_groups))

    @staticmethod
    def _copy_hyperparameters(source: dict, target: dict) -> None:
        target.update({k: v for k, v in source.items() if k != "params"})

    # ------------------------------------------------------------------ stepping
    def step(self, closure=None, **kwargs):
        """The local optimizer's step on this rank's share, then every share broadcast from its owner."""
        pairs = self._paired_groups()
        for full, local in pairs:  # (an lr scheduler changes the full groups)
            self._copy_hyperparameters(full, local)
        if self.optim is not None:
            loss = self.optim.step(closure, **kwargs) if closure is not None else self.optim.step(**kwargs)
        else:
            loss = closure() if closure is not None else None
        for full, local in pairs:
            self._copy_hyperparameters(local, full)
        self._broadcast_shares()
        return loss

    def _broadcast_shares(self) -> None:
        with _tg.no_grad():
            for owner in range(self.world_size):
                params = [p for g in self._partition[owner] for p in g["params"]]
                by_kind: dict = {}
                for p in params:
                    by_kind.setdefault((p.dtype, str(p.device)), []).append(p)
                for same in by_kind.values():
                    flat = _tg.cat([p.detach().reshape(-1) for p in same])
                    broadcast(flat, src=get_global_rank(self.process_group, owner), group=self.process_group)
                    if owner != self.rank:
                        offset = 0
                        for p in same:
                            p.copy_(flat[offset:offset + p.numel()].view(p.shape))
                            offset += p.numel()

    # ------------------------------------------------------------------ state
    def _global_index(self) -> dict:
        index, k = {}, 0
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), k)
                k += 1
        return index

    def consolidate_state_dict(self, to: int = 0) -> None:
        """Gather every rank's share of the state on rank ``to`` (call it on every rank)."""
        index = self._global_index()
        local = self.optim.param_groups if self.optim is not None else []
        mine = {index[id(p)]: {k: (v.clone() if isinstance(v, _tg.Tensor) else v) for k, v in self.optim.state[p].items()}
                for g in local for p in g["params"] if p in self.optim.state}
        self._all_state_dicts = []
        for owner in range(self.world_size):
            box = [mine if owner == self.rank else None]
            broadcast_object_list(box, src=get_global_rank(self.process_group, owner), group=self.process_group)
            if self.rank == to:
                self._all_state_dicts.append(box[0])

    def state_dict(self) -> dict:
        """The whole optimizer's state, in the plain optimizer's layout (after ``consolidate_state_dict``)."""
        if not self._all_state_dicts:
            raise RuntimeError("Optimizer state has not been consolidated on this rank. Please call "
                               f"`consolidate_state_dict(to={self.rank})` on all ranks beforehand if you meant to "
                               "save the global state.")
        state = {}
        for share in self._all_state_dicts:
            state.update(share)
        index = self._global_index()
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Take a full state (``state_dict()``'s) and keep this rank's share of it."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        index = self._global_index()
        for group, saved in zip(self.param_groups, groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 "optimizer's group")
            for k, v in saved.items():
                if k != "params":
                    group[k] = v
        for full, local in self._paired_groups():
            self._copy_hyperparameters(full, local)
            for p in local["params"]:
                saved = state_dict["state"].get(index[id(p)])
                if saved is not None:
                    self.optim.state[p] = {k: (self._cast_state_value(p, v, k) if isinstance(v, _tg.Tensor) else v)
                                           for k, v in saved.items()}
        if self.optim is not None:
            self.optim._invalidate()
