"""`modeling_neuript.braindecode_neuript` moved to `modeling_neuript.interop.braindecode_model`: this alias is removed in the next release."""

from modeling_neuript._moved import alias

alias(__name__, "modeling_neuript.interop.braindecode_model")
