"""Face13 in a stranger's shape: trials as competition files ship them, for `neuript benchmark`.

Writes a `.npz` of epoched trials (X, y, channel_names, sfreq, subject, onset_seconds; volts) cut around two Face13
events, with the channels renamed as a lab's own system might name them (`ch01`, `ch02`, ... — no standard name, so
their positions come from a JSON file written beside it, metres in MNE's head frame), then asks "is NeurIPT worth it
on this data?":

    python examples/trials_from_face13.py --output press.npz          # button press left/right, 0.5 s, 32 channels
    neuript benchmark --dataset press.npz --channel_positions press_positions.json --split auto --seeds 0

The defaults make the file of docs/ablation.md's stranger check: the two button presses, 0.5 s trials from 0.2 s
before the press, every fourth cap electrode (A1, A5, ..., D29: 32 channels, renamed ch01..ch32), both subjects.
"""

import argparse
import json
from pathlib import Path

import numpy as np


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", default="press.npz", help="The .npz to write (positions go to <stem>_positions.json).")
    parser.add_argument("--events", nargs="+", default=["press-left", "press-right"], help="Face13 event names (classes).")
    parser.add_argument("--tmin", type=float, default=-0.2, help="Trial start relative to the event (s).")
    parser.add_argument("--seconds", type=float, default=0.5, help="Trial length (s); the trials path takes 0.5 s and up.")
    parser.add_argument("--every", type=int, default=4, help="Keep every n-th cap electrode (A1..D32): 4 keeps 32.")
    parser.add_argument("--subjects", nargs="+", default=["s01", "s02"])
    args = parser.parse_args(argv)

    import mne

    from modeling_neuript.data.sources import face13_epochs, load_face13

    names = [f"{bank}{i}" for bank in "ABCD" for i in range(1, 33, args.every)]
    lab_names = [f"ch{i + 1:02d}" for i in range(len(names))]  # what the file calls them
    cap = mne.create_info(names, 256.0, "eeg")
    cap.set_montage("biosemi128")  # the cap's positions in MNE's head frame (what channel_positions files hold)
    output = Path(args.output)
    positions = output.with_name(f"{output.stem}_positions.json")
    positions.write_text(json.dumps({lab: [float(v) for v in ch["loc"][:3]] for lab, ch in zip(lab_names, cap["chs"])},
                                    indent=1))

    X, y, subject, onset = [], [], [], []
    for who in args.subjects:
        raw = load_face13(who).pick(names)
        rate = raw.info["sfreq"]
        epochs = face13_epochs(raw, tmin=args.tmin, tmax=args.tmin + args.seconds - 1 / rate, baseline=None,
                               conditions=tuple(args.events))
        name_of = {code: event for event, code in epochs.event_id.items()}
        X.append(epochs.get_data())
        y += [name_of[code] for code in epochs.events[:, 2]]
        subject += [who] * len(epochs)
        onset += list(epochs.events[:, 0] / rate)
    X = np.concatenate(X)
    np.savez(output, X=X, y=np.array(y), channel_names=np.array(lab_names), sfreq=float(rate), subject=np.array(subject),
             onset_seconds=np.array(onset), units="V")
    counts = {event: y.count(event) for event in args.events}
    print(f"wrote {output}: {X.shape[0]} trials × {X.shape[1]} channels × {X.shape[2]} samples at {rate:g} Hz "
          f"({counts}); positions in {positions}")
    return {"output": output, "positions": positions, "shape": X.shape, "counts": counts}


if __name__ == "__main__":
    main()
