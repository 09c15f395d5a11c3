"""`modeling_neuript.sklearn_neuript` moved to `modeling_neuript.interop.sklearn_embedder`: this alias is removed in the next release."""

from modeling_neuript._moved import alias

alias(__name__, "modeling_neuript.interop.sklearn_embedder")
