"""`modeling_neuript.pretrain` moved to `modeling_neuript.training.pretrain`: this alias is removed in the next release."""

from modeling_neuript._moved import alias

alias(__name__, "modeling_neuript.training.pretrain")
