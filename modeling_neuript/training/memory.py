"""Memory settings of the training commands: activation checkpointing through transformers, and glibc's treatment of
freed memory (both only when a command or the user asks for them; importing this module changes nothing)."""

from typing import Optional


def enable_activation_checkpointing(
    model, offload: bool = False, blocks: bool = False, checkpoint_kwargs: Optional[dict] = None
) -> None:
    """Layer activation checkpointing through transformers — `activation_checkpointing_enable`, or its older name
    `gradient_checkpointing_enable` (deprecated, with a FutureWarning, where both exist) on releases without it —
    with the checkpointed layer inputs kept in pinned host memory if `offload`, `checkpoint_kwargs` passed to
    `torch.utils.checkpoint` (e.g. `{"use_reentrant": False}`), and block checkpointing inside the layer checkpoints
    if `blocks` (`NeurIPTPreTrainedModel.enable_block_checkpointing`)."""
    options = {"offload": True} if offload else {}  # `offload` only when asked: older releases lack the argument
    if hasattr(model, "activation_checkpointing_enable"):
        if checkpoint_kwargs is not None:
            options["activation_checkpointing_kwargs"] = checkpoint_kwargs
        model.activation_checkpointing_enable(**options)
    else:
        if checkpoint_kwargs is not None:
            options["gradient_checkpointing_kwargs"] = checkpoint_kwargs
        model.gradient_checkpointing_enable(**options)
    model.enable_block_checkpointing(blocks)


def disable_activation_checkpointing(model) -> None:
    """Undo `enable_activation_checkpointing` (layers and blocks), under the current name where it exists."""
    disable = getattr(model, "activation_checkpointing_disable", None) or model.gradient_checkpointing_disable
    disable()


def keep_freed_memory(enable: bool = True) -> bool:
    """Let glibc keep freed memory in the process instead of unmapping it (Linux with glibc only; returns whether it
    took effect).

    Why: glibc serves every allocation above 32 MiB with a fresh `mmap` and returns it to the system on free, so a
    training or inference step that allocates the same large activations again page-faults all of them back in. On
    the 2-core CPU machine this costs a third of the matrix-multiplication time: a 51,200 × 256 → 768 `F.linear`
    ran at 84–107 GFLOP/s with fresh allocations and at 142–162 GFLOP/s with this setting or with a preallocated
    output. The setting (no `mmap` for large blocks, no trimming of the heap top) is what the
    `MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=…` environment variables do, applied at run time with `mallopt`.
    The cost: the process keeps its peak heap until it exits. `enable=False` puts glibc's default values back, but
    not its dynamic mmap threshold (any `mallopt` of these switches that off for the life of the process).
    The training commands (`neuript pretrain`, `finetune`, `demo`, `reproduce`) call it; `neuript prepare`,
    whose memory use is meant to stay flat over long recordings, does not.
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    m_trim_threshold, m_top_pad, m_mmap_max = -1, -2, -4
    if enable:
        settings = ((m_mmap_max, 0), (m_trim_threshold, 2**31 - 1), (m_top_pad, 256 * 2**20))
    else:  # glibc's defaults
        settings = ((m_mmap_max, 65536), (m_trim_threshold, 128 * 1024), (m_top_pad, 128 * 1024))
    return all(mallopt(option, value) == 1 for option, value in settings)
