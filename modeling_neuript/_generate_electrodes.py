"""Regenerate the electrode position tables of `electrodes_neuript.py` from MNE's standard montages.

Run `python -m modeling_neuript._generate_electrodes` after an MNE upgrade; `tests/test_electrodes.py` fails when the
tables and the installed MNE disagree. This script is a development tool: it imports mne, and nothing in the Hub bundle
imports it.

Every montage is set on an `mne.create_info(..., ch_types="eeg")`, and the positions are read back from
`info["chs"][i]["loc"][:3]`. `set_montage` moves them into MNE's "head" frame through the montage's fiducials, so the
colin27 (template-head) and BioSemi (ideal-sphere) tables share one frame: metres, origin between the pre-auricular
points, +x towards the right ear, +y towards the nasion, +z up.
"""

import argparse
import json
import pathlib
import re

import numpy as np

MONTAGES = ("colin27_1005", "biosemi16", "biosemi32", "biosemi64", "biosemi128", "biosemi160", "biosemi256")
DECIMALS = 7  # 0.1 µm: far below any electrode placement error, and the literal stays exact enough to test against mne
BEGIN_MARKER = "# BEGIN GENERATED TABLES"
END_MARKER = "# END GENERATED TABLES"
TARGET = pathlib.Path(__file__).with_name("electrodes_neuript.py")


def montage_positions(name: str) -> dict[str, tuple[float, float, float]]:
    """Head-frame positions (metres) of every channel of one standard montage, in the montage's channel order."""
    import mne

    montage = mne.channels.make_standard_montage(name)
    info = mne.create_info(montage.ch_names, sfreq=100.0, ch_types="eeg", verbose="error")
    info.set_montage(montage, verbose="error")
    return {ch["ch_name"]: tuple(float(v) for v in np.asarray(ch["loc"][:3])) for ch in info["chs"]}


def render_tables() -> str:
    """The Python source of the generated block, markers included."""
    import mne

    lines = [
        BEGIN_MARKER,
        f"# Written by modeling_neuript/_generate_electrodes.py from mne {mne.__version__}; do not edit by hand.",
        "# Metres in MNE's head frame (+x right ear, +y nasion, +z up), rounded to 0.1 µm.",
        "MONTAGE_POSITIONS: dict[str, dict[str, tuple[float, float, float]]] = {",
    ]
    for name in MONTAGES:
        lines.append(f"    {json.dumps(name)}: {{")
        for channel, xyz in montage_positions(name).items():
            coords = ", ".join(f"{round(v, DECIMALS) + 0.0:.{DECIMALS}f}" for v in xyz)  # +0.0 turns -0.0 into 0.0
            lines.append(f"        {json.dumps(channel)}: ({coords}),")
        lines.append("    },")
    lines.append("}")
    lines.append(END_MARKER)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from what mne gives now")
    args = parser.parse_args()
    source = TARGET.read_text()
    pattern = re.compile(re.escape(BEGIN_MARKER) + r".*?" + re.escape(END_MARKER), flags=re.DOTALL)
    if not pattern.search(source):
        raise SystemExit(f"{TARGET} has no '{BEGIN_MARKER}' ... '{END_MARKER}' block to replace.")
    updated = pattern.sub(lambda _: render_tables(), source)
    if args.check:
        raise SystemExit(0 if updated == source else 1)
    TARGET.write_text(updated)
    print(f"wrote {sum(len(montage_positions(m)) for m in MONTAGES)} positions of {len(MONTAGES)} montages to {TARGET}")


if __name__ == "__main__":
    main()
