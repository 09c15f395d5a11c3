"""`modeling_neuript.training_utils` was split by concern: `modeling_neuript.data.reading` (load_prepared,
WindowCollator, dataset_root), `modeling_neuript.data.splits`, `modeling_neuript.training.checkpoints` (atomic_save,
save_checkpoint, fsync_tree), `modeling_neuript.training.moe_statistics` and `modeling_neuript.training.memory`.
This alias is removed in the next release."""

from modeling_neuript._moved import warn_moved

warn_moved(__name__, "modeling_neuript.data.reading, .data.splits, .training.checkpoints, .training.moe_statistics "
                     "and .training.memory")

from modeling_neuript.data.reading import WindowCollator, dataset_root, load_prepared  # noqa: E402, F401
from modeling_neuript.data.splits import subject_splits, time_ordered_split  # noqa: E402, F401
from modeling_neuript.training.checkpoints import atomic_save, fsync_tree, save_checkpoint  # noqa: E402, F401
from modeling_neuript.training.memory import enable_activation_checkpointing, keep_freed_memory  # noqa: E402, F401
from modeling_neuript.training.moe_statistics import expert_load, warn_on_collapse  # noqa: E402, F401
