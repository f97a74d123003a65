"""``tensorgraft.utils.tensorboard``: ``SummaryWriter`` writes scalars, histograms, images, text,
graphs, embeddings, PR curves, hyper-parameters, audio, video and meshes to TensorBoard event
files, the same records PyTorch's ``torch.utils.tensorboard`` writes.

The event-file format and the protocol buffers come from the ``tensorboard`` package (an optional
dependency: ``pip install tensorgraft-core[tensorboard]``), exactly as PyTorch uses it; this
package only turns tensors into those records. Where things are: ``writer.py`` (``SummaryWriter``,
``FileWriter``), ``summary.py`` (the public builders, one record each), and behind it
``_scalars.py`` (scalars, tensors, histograms, text, hyper-parameters, custom-scalar layouts),
``_media.py`` (images, boxes, figures, video, audio, meshes), ``_pr_curve.py``, ``_embedding.py``
(the projector's files) and ``_graph.py`` (``add_graph``: the model's graph as a GraphDef).
"""
try:
    import tensorboard as _tensorboard
except ImportError as e:  # PyTorch's message, and how to get it
    raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above "
                      "(pip install tensorboard, or pip install tensorgraft-core[tensorboard])") from e


def _version_tuple(text: str) -> tuple:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


if _version_tuple(getattr(_tensorboard, "__version__", "0")) < (1, 15):
    raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above "
                      f"(found {getattr(_tensorboard, '__version__', 'an unknown version')}: pip install -U tensorboard)")
del _tensorboard

from tensorboard.summary.writer.record_writer import RecordWriter  # noqa: E402

from .writer import FileWriter, SummaryWriter  # noqa: E402

__all__ = ["FileWriter", "RecordWriter", "SummaryWriter"]
