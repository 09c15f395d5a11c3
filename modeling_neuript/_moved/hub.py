"""`modeling_neuript.hub` moved to `modeling_neuript.interop.hub`: this alias is removed in the next release."""

from modeling_neuript._moved import alias

alias(__name__, "modeling_neuript.interop.hub")
