"""`modeling_neuript.event_windows` moved to `modeling_neuript.data.event_windows`: this alias is removed in the next release."""

from modeling_neuript._moved import alias

alias(__name__, "modeling_neuript.data.event_windows")
