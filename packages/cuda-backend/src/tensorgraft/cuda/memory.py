"""Device memory: statistics, limits and out-of-memory errors over CuPy's default memory pool.

CuPy hands every device allocation to one Python-settable allocator; tensorgraft installs
``counting_allocator`` there when CUDA initialises. It is the single place that sees every
allocation (factories, ``.to("cuda")``, op kernels, CuPy's own scratch), so it keeps the peaks and
totals ``memory_stats`` reports and turns CuPy's ``OutOfMemoryError`` into tensorgraft's (PyTorch's
message), at no cost to kernels that do not run out of memory.

What CuPy's pool cannot tell is not invented: there is no small/large pool split, no segment or
block counts, so ``memory_stats`` has the ``all`` figures only (see STAT_KEYS).
"""
from __future__ import annotations

import warnings

from ._backend import BACKEND as _B

# The keys of ``memory_stats()`` (sorted, as PyTorch returns them).
STAT_KEYS = ("allocated_bytes.all.allocated", "allocated_bytes.all.current", "allocated_bytes.all.freed",
             "allocated_bytes.all.peak", "num_alloc_retries", "num_ooms", "reserved_bytes.all.current",
             "reserved_bytes.all.peak")


class DeviceMemoryStats:
    """One GPU's running figures, updated by the allocator on each allocation."""

    __slots__ = ("allocated_total", "current_at_reset", "peak_allocated", "peak_reserved", "last_reserved",
                 "alloc_retries", "ooms")

    def __init__(self):
        self.allocated_total = 0     # bytes handed out since start / reset_accumulated_memory_stats
        self.current_at_reset = 0    # allocated bytes at that moment (freed = total - growth since)
        self.peak_allocated = 0
        self.peak_reserved = 0
        self.last_reserved = 0       # the pool's size at the previous allocation
        self.alloc_retries = 0
        self.ooms = 0


def stats_of(index: int) -> DeviceMemoryStats:
    stats = _B.memory_stats.get(index)
    if stats is None:
        stats = _B.memory_stats.setdefault(index, DeviceMemoryStats())
    return stats


def counting_allocator(cupy):
    """The allocator CuPy calls for every device allocation (``cupy.cuda.set_allocator``). It runs
    once per new array, so it keeps to local names and one stats object per GPU made up front."""
    pool = cupy.get_default_memory_pool()
    malloc, used_bytes, total_bytes = pool.malloc, pool.used_bytes, pool.total_bytes
    cupy_oom = cupy.cuda.memory.OutOfMemoryError
    per_device = [stats_of(i) for i in range(_B.device_count())]

    def allocate(size):
        try:
            block = malloc(size)
        except cupy_oom:
            # CuPy has already dropped its cached blocks and tried again (PyTorch counts that retry)
            index = int(cupy.cuda.runtime.getDevice())
            stats = per_device[index]
            stats.alloc_retries += 1
            stats.ooms += 1
            raise out_of_memory_error(cupy, pool, index, size) from None
        stats = per_device[block.device_id]
        rounded = (size + 511) & -512        # the pool's 512-byte blocks, as used_bytes counts them
        stats.allocated_total += rounded
        used = used_bytes()
        if used > stats.peak_allocated:
            stats.peak_allocated = used
        reserved = total_bytes()
        last = stats.last_reserved
        if reserved != last:
            if reserved > stats.peak_reserved:
                stats.peak_reserved = reserved
            if reserved != last + rounded:
                # neither served from the cache nor one new block: CuPy freed its cache to fit this one
                stats.alloc_retries += 1
            stats.last_reserved = reserved
        return block
    return allocate


def format_size(nbytes: int) -> str:
    """Sizes as PyTorch's allocator messages print them ("2.00 GiB", "512 bytes")."""
    if nbytes <= 1024:
        return f"{nbytes} bytes"
    for unit, scale in (("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)):
        if nbytes <= scale << 10 or unit == "GiB":
            return f"{nbytes / scale:.2f} {unit}"
    raise AssertionError("unreachable")


def out_of_memory_error(cupy, pool, index: int, size: int):
    """tensorgraft.OutOfMemoryError with PyTorch's message shape, for a failed ``size``-byte request."""
    from tensorgraft.errors import OutOfMemoryError
    free, total = (int(v) for v in cupy.cuda.runtime.memGetInfo())
    used, reserved = pool.used_bytes(), pool.total_bytes()
    limit = pool.get_limit()
    allowed = f"{format_size(limit)} allowed; " if limit else ""
    return OutOfMemoryError(
        f"CUDA out of memory. Tried to allocate {format_size(size)}. GPU {index} has a total capacity of "
        f"{format_size(total)} of which {format_size(free)} is free. {allowed}Of the allocated memory "
        f"{format_size(used)} is allocated by tensorgraft, and {format_size(reserved - used)} is reserved by "
        f"tensorgraft but unallocated. If reserved but unallocated memory is large, "
        f"tensorgraft.cuda.empty_cache() returns it to the GPU.")


# --------------------------------------------------------------------------- queries
def _pool_figures(device):
    """(index, allocated bytes, reserved bytes) of ``device``'s pool, or None without CUDA."""
    if not _B.is_available():
        return None
    from . import _index
    cp, index = _B.cupy(), _index(device)
    with cp.cuda.Device(index):
        pool = cp.get_default_memory_pool()
        return index, int(pool.used_bytes()), int(pool.total_bytes())


def memory_allocated(device=None) -> int:
    """Bytes occupied by arrays on ``device`` (CuPy's default memory pool: ``used_bytes``)."""
    figures = _pool_figures(device)
    return 0 if figures is None else figures[1]


def memory_reserved(device=None) -> int:
    """Bytes held by the memory pool on ``device`` (in use or cached: ``total_bytes``)."""
    figures = _pool_figures(device)
    return 0 if figures is None else figures[2]


def max_memory_allocated(device=None) -> int:
    """The peak of ``memory_allocated`` since start or ``reset_peak_memory_stats``."""
    figures = _pool_figures(device)
    return 0 if figures is None else max(stats_of(figures[0]).peak_allocated, figures[1])


def max_memory_reserved(device=None) -> int:
    """The peak of ``memory_reserved`` since start or ``reset_peak_memory_stats``."""
    figures = _pool_figures(device)
    return 0 if figures is None else max(stats_of(figures[0]).peak_reserved, figures[2])


def memory_stats(device=None) -> dict:
    """The allocator's statistics as a flat, sorted dict (``"allocated_bytes.all.peak"`` ...);
    empty without CUDA, as PyTorch's before CUDA is initialised."""
    import collections
    figures = _pool_figures(device)
    if figures is None:
        return collections.OrderedDict()
    index, used, reserved = figures
    s = stats_of(index)
    values = {
        "allocated_bytes.all.allocated": s.allocated_total,
        "allocated_bytes.all.current": used,
        "allocated_bytes.all.freed": s.allocated_total - (used - s.current_at_reset),
        "allocated_bytes.all.peak": max(s.peak_allocated, used),
        "num_alloc_retries": s.alloc_retries,
        "num_ooms": s.ooms,
        "reserved_bytes.all.current": reserved,
        "reserved_bytes.all.peak": max(s.peak_reserved, reserved),
    }
    return collections.OrderedDict((k, values[k]) for k in STAT_KEYS)


def memory_stats_as_nested_dict(device=None) -> dict:
    """``memory_stats`` with its dotted keys split into nested dicts."""
    nested: dict = {}
    for key, value in memory_stats(device).items():
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def memory_summary(device=None, abbreviated: bool = False) -> str:
    """A readable table of ``memory_stats`` (``abbreviated`` is accepted: CuPy's pool has no
    per-pool breakdown to leave out)."""
    from . import _index
    stats = memory_stats(device)
    index = _index(device) if stats else 0
    get = stats.get
    width = 75
    rule, thick = "|" + "-" * width + "|", "|" + "=" * width + "|"

    def row(name, cur, peak, alloc, freed):
        cells = "".join(f" {format_size(v) if isinstance(v, int) else v:>10} |" for v in (cur, peak, alloc, freed))
        return f"| {name:<21} |{cells}"
    lines = [thick, "|" + f"tensorgraft CUDA memory summary, device ID {index}".center(width) + "|", rule,
             "|" + f"CUDA OOMs: {get('num_ooms', 0)}".center(37) + "|"
             + f"cudaMalloc retries: {get('num_alloc_retries', 0)}".center(37) + "|", thick,
             row("Metric", "Cur Usage", "Peak Usage", "Tot Alloc", "Tot Freed"), rule,
             row("Allocated memory", get("allocated_bytes.all.current", 0), get("allocated_bytes.all.peak", 0),
                 get("allocated_bytes.all.allocated", 0), get("allocated_bytes.all.freed", 0)),
             row("Reserved memory", get("reserved_bytes.all.current", 0), get("reserved_bytes.all.peak", 0), "-", "-"),
             thick]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- resets
def reset_peak_memory_stats(device=None) -> None:
    """Peaks restart from the current figures."""
    figures = _pool_figures(device)
    if figures is not None:
        s = stats_of(figures[0])
        s.peak_allocated, s.peak_reserved = figures[1], figures[2]


def reset_accumulated_memory_stats(device=None) -> None:
    """Totals (allocated/freed bytes, retries, OOMs) restart from zero."""
    figures = _pool_figures(device)
    if figures is not None:
        s = stats_of(figures[0])
        s.allocated_total, s.current_at_reset, s.alloc_retries, s.ooms = 0, figures[1], 0, 0


def reset_max_memory_allocated(device=None) -> None:
    warnings.warn("torch.cuda.reset_max_memory_allocated now calls torch.cuda.reset_peak_memory_stats, "
                  "which resets /all/ peak memory stats.", FutureWarning, stacklevel=2)
    reset_peak_memory_stats(device)


def reset_max_memory_cached(device=None) -> None:
    warnings.warn("torch.cuda.reset_max_memory_cached now calls torch.cuda.reset_peak_memory_stats, "
                  "which resets /all/ peak memory stats.", FutureWarning, stacklevel=2)
    reset_peak_memory_stats(device)


def memory_cached(device=None) -> int:
    warnings.warn("`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`",
                  FutureWarning, stacklevel=2)
    return memory_reserved(device)


def max_memory_cached(device=None) -> int:
    warnings.warn("`torch.cuda.max_memory_cached` has been renamed to `torch.cuda.max_memory_reserved`",
                  FutureWarning, stacklevel=2)
    return max_memory_reserved(device)


def empty_cache() -> None:
    """Release the memory pool's cached (unused) blocks back to the driver."""
    if _B._probe is not None and _B._probe[0]:
        cp = _B.cupy()
        pool = cp.get_default_memory_pool()
        for index in range(_B.device_count()):
            with cp.cuda.Device(index):
                pool.free_all_blocks()
                stats_of(index).last_reserved = int(pool.total_bytes())  # a shrink we caused, not a retry
        cp.get_default_pinned_memory_pool().free_all_blocks()


def mem_get_info(device=None) -> tuple:
    """(free, total) bytes of device memory, from the driver."""
    from . import _index
    cp = _B.cupy()
    with cp.cuda.Device(_index(device)):
        free, total = cp.cuda.runtime.memGetInfo()
    return int(free), int(total)


# --------------------------------------------------------------------------- limits and raw blocks
def set_per_process_memory_fraction(fraction, device=None) -> None:
    """Cap ``device``'s memory pool at ``fraction`` of the GPU's memory (CuPy's pool limit); an
    allocation past it raises OutOfMemoryError."""
    from . import _index
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if not 0 <= fraction <= 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    cp, index = _B.cupy(), _index(device)
    with cp.cuda.Device(index):
        cp.get_default_memory_pool().set_limit(fraction=fraction)
    _B.memory_fraction[index] = fraction


def get_per_process_memory_fraction(device=None) -> float:
    """The fraction set by ``set_per_process_memory_fraction`` (1.0: no cap)."""
    from . import _index
    _B.cupy()
    return _B.memory_fraction.get(_index(device), 1.0)


def caching_allocator_alloc(size, device=None, stream=None) -> int:
    """Take ``size`` bytes from the memory pool on ``device`` (for ``stream``); returns the pointer,
    valid until ``caching_allocator_delete``."""
    from . import _index
    if device is not None and not isinstance(device, (int, str)) and getattr(device, "type", None) is None:
        raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{device}")
    cp, index = _B.cupy(), _index(device)
    from .streams import StreamContext
    with StreamContext(stream), cp.cuda.Device(index):
        block = cp.cuda.alloc(size)
    _B.raw_blocks[int(block.ptr)] = block
    return int(block.ptr)


def caching_allocator_delete(mem_ptr) -> None:
    """Return a block from ``caching_allocator_alloc`` to the pool."""
    block = _B.raw_blocks.pop(int(mem_ptr), None)
    if block is None:
        raise RuntimeError(f"invalid device pointer: {int(mem_ptr):#x}")
