"""`modeling_neuript.streaming` moved to `modeling_neuript.interop.streaming`: this alias is removed in the next release."""

from modeling_neuript._moved import alias

alias(__name__, "modeling_neuript.interop.streaming")
