"""`modeling_neuript.datasets` moved to `modeling_neuript.data.sources`: this alias is removed in the next release."""

from modeling_neuript._moved import alias

alias(__name__, "modeling_neuript.data.sources")
