"""Regenerate `modeling_neuript/electrode_table_neuript.py` (the electrode positions of the Hub bundle) from MNE's
standard montages.

Run `python -m modeling_neuript.data.generate_electrode_table` after an MNE upgrade (`--check` only compares);
`tests/test_electrodes.py` fails when the table and the installed MNE disagree. A development tool: it imports mne,
and nothing in the Hub bundle imports it.

Every montage is set on an `mne.create_info(..., ch_types="eeg")`, and the positions are read back from
`info["chs"][i]["loc"][:3]`. `set_montage` moves them into MNE's "head" frame through the montage's fiducials, so the
colin27 (template-head) and BioSemi (ideal-sphere) tables share one frame: metres, origin between the pre-auricular
points, +x towards the right ear, +y towards the nasion, +z up.
"""

import argparse
import json
import pathlib

import numpy as np

MONTAGES = ("colin27_1005", "biosemi16", "biosemi32", "biosemi64", "biosemi128", "biosemi160", "biosemi256")
DECIMALS = 7  # 0.1 µm: far below any electrode placement error, and the literal stays exact enough to test against mne
TARGET = pathlib.Path(__file__).resolve().parents[1] / "electrode_table_neuript.py"


def montage_positions(name: str) -> dict[str, tuple[float, float, float]]:
    """Head-frame positions (metres) of every channel of one standard montage, in the montage's channel order."""
    import mne

    montage = mne.channels.make_standard_montage(name)
    info = mne.create_info(montage.ch_names, sfreq=100.0, ch_types="eeg", verbose="error")
    info.set_montage(montage, verbose="error")
    return {ch["ch_name"]: tuple(float(v) for v in np.asarray(ch["loc"][:3])) for ch in info["chs"]}


def render_table() -> str:
    """The Python source of `electrode_table_neuript.py`."""
    import mne

    lines = [
        "# coding=utf-8",
        "# Copyright 2026 The NeurIPT developers. MIT licence.",
        f'"""Electrode positions of the standard montages NeurIPT knows by name (generated from mne {mne.__version__} by',
        "`python -m modeling_neuript.data.generate_electrode_table`; do not edit by hand).",
        "",
        "Metres in MNE's head frame (+x right ear, +y nasion, +z up), rounded to 0.1 µm. Part of the Hub bundle, read by",
        '`electrodes_neuript.py`."""',
        "",
        "MONTAGE_POSITIONS: dict[str, dict[str, tuple[float, float, float]]] = {",
    ]
    for name in MONTAGES:
        lines.append(f"    {json.dumps(name)}: {{")
        for channel, xyz in montage_positions(name).items():
            coords = ", ".join(f"{round(v, DECIMALS) + 0.0:.{DECIMALS}f}" for v in xyz)  # +0.0 turns -0.0 into 0.0
            lines.append(f"        {json.dumps(channel)}: ({coords}),")
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from what mne gives now")
    args = parser.parse_args(argv)
    rendered = render_table()
    if args.check:
        raise SystemExit(0 if TARGET.exists() and TARGET.read_text() == rendered else 1)
    TARGET.write_text(rendered)
    print(f"wrote {sum(len(montage_positions(m)) for m in MONTAGES)} positions of {len(MONTAGES)} montages to {TARGET}")


if __name__ == "__main__":
    main()
