"""Model presets and training recipes of NeurIPT (JSON / YAML), installed inside the package as
`modeling_neuript.configuration` and read with `modeling_neuript.resources` (no Python code here)."""
