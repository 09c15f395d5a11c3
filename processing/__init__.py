"""Dataset recipes of `neuript prepare` (YAML), installed inside the package as `modeling_neuript.processing` and
read with `modeling_neuript.resources` (no Python code here)."""
