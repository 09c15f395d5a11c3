"""`modeling_neuript.lora` moved to `modeling_neuript.interop.lora`: this alias is removed in the next release."""

from modeling_neuript._moved import alias

alias(__name__, "modeling_neuript.interop.lora")
