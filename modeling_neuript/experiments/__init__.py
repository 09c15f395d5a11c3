"""The `neuript reproduce` experiments: one module per claim of the paper, each with `run(args) -> dict`
(see `common.py` for the shared API and `modeling_neuript/experiments/reproduce.py` for the command)."""
