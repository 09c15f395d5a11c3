"""`modeling_neuript.eeg_metrics` moved to `modeling_neuript.training.metrics`: this alias is removed in the next release."""

from modeling_neuript._moved import alias

alias(__name__, "modeling_neuript.training.metrics")
