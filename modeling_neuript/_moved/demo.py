"""`modeling_neuript.demo` moved to `modeling_neuript.experiments.demo`: this alias is removed in the next release."""

from modeling_neuript._moved import alias

alias(__name__, "modeling_neuript.experiments.demo")
