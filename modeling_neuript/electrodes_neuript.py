# coding=utf-8
# Copyright 2026 The NeurIPT developers. MIT licence.
"""Electrode registry of NeurIPT: channel names → 3-D positions, and positions → IILP lobe groups.

NeurIPT tags every channel with its scalp position (paper Eq. 1), so the model works on any montage. This module
turns the channel names of a recording into positions, and positions into the lobe groups of the IILP head:

- `resolve_channel_positions(names)`: metres in MNE's "head" frame (origin between the pre-auricular points, +x towards
  the right ear, +y towards the nasion, +z up). It knows the 10-05 system (mne's `colin27_1005` template), the BioSemi
  caps (A1..H32 names), bipolar "A-B" pairs (the midpoint, as in the official code), referential channels against an
  ear or mastoid ("C3-A2": at C3) and user-supplied positions.
- `lobe_membership(positions)`: which channel belongs to which lobe group, from its position only, in pure torch so the
  classification head can call it inside `forward`.

Part of the Hub bundle: imports only the standard library, numpy and torch. The position tables of the standard
montages are in `electrode_table_neuript.py`, generated from mne by `modeling_neuript/data/generate_electrode_table.py`.
"""

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np
import torch

from .electrode_table_neuript import MONTAGE_POSITIONS

DEFAULT_MONTAGE = "colin27_1005"
BIOSEMI_CAPS = ("biosemi128", "biosemi160", "biosemi256")  # the caps named A1..H32; biosemi16/32/64 use 10-20 names

# The old 10-20 temporal names (still used by TUH, the double banana and the paper) and their 10-10 equivalents.
OLD_1020_ALIASES = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}
_OLD_1020_UPPER = {old.upper(): new.upper() for old, new in OLD_1020_ALIASES.items()}

# The paper's 20 bipolar derivations, in the official channel order (`get_3d_pos`). The official list has "Fp2-F3" at
# index 12, a typo for the canonical Fp1-F3 (the paper's text lists Fp1-F3); we use Fp1-F3.
DOUBLE_BANANA_PAIRS = [
    "Fp1-F7", "F7-T3", "T3-T5", "T5-O1",
    "Fp2-F8", "F8-T4", "T4-T6", "T6-O2",
    "T3-C3", "C3-Cz", "Cz-C4", "C4-T4",
    "Fp1-F3", "F3-C3", "C3-P3", "P3-O1",
    "Fp2-F4", "F4-C4", "C4-P4", "P4-O2",
]  # fmt: skip

_EEG_PREFIX = re.compile(r"^EEG[\s_:-]+", flags=re.IGNORECASE)  # "EEG Cz", "EEG_Cz", "EEG:Cz", "EEG-Cz" (BCI IV-2a)
_REFERENCE_SUFFIX = re.compile(r"-(REF|LE|AR|AVG|CAR)$", flags=re.IGNORECASE)
_BIOSEMI_NAME = re.compile(r"^[A-H]([1-9]|[12][0-9]|3[0-2])$")
# Reference sites of the 10-05 system: "C3-A2" is C3 recorded against the right earlobe (a referential channel), not
# a bipolar derivation between two scalp sites, so its position is C3's. Linked references count too ("C3-A1A2").
REFERENCE_SITES = frozenset({"A1", "A2", "M1", "M2", "A1A2", "A1+A2", "M1M2", "M1+M2"})

PositionSpec = Union[None, str, Mapping[str, Sequence[float]], Any]  # Any: an mne DigMontage (duck-typed)


# ----------------------------------------------------------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------------------------------------------------------


def normalize_channel_name(name: str) -> str:
    """Strip the decorations recording software adds around an electrode name; keep the case.

    `"EEG Fp1-REF"` → `"Fp1"`, `"EEG T3-LE"` → `"T3"`, `"Fc5."` → `"Fc5"` (EEGMMIDB pads names with dots),
    `" Cz "` → `"Cz"`. Bipolar names keep their dash: `"EEG FP1-F7"` → `"FP1-F7"`. Lookups are case-insensitive, so
    the case is left alone.
    """
    cleaned = str(name).strip()
    stripped = _EEG_PREFIX.sub("", cleaned)
    cleaned = stripped if stripped else cleaned  # a channel literally called "EEG" keeps its name
    cleaned = cleaned.rstrip(".").strip()
    cleaned = _REFERENCE_SUFFIX.sub("", cleaned).strip()
    return cleaned.rstrip(".").strip()


def channel_key(name: str) -> str:
    """Case-insensitive identity of a channel: normalised, upper case, T3/T4/T5/T6 mapped to T7/T8/P7/P8.

    Two channels of one recording with the same key are the same electrode (or the same bipolar derivation).
    """
    key = normalize_channel_name(name).upper()
    pair = split_bipolar(key)
    if pair is not None:
        return "-".join(_OLD_1020_UPPER.get(end, end) for end in pair)
    return _OLD_1020_UPPER.get(key, key)


def split_bipolar(name: str) -> Optional[tuple[str, str]]:
    """`"Fp1-F7"` → `("Fp1", "F7")`; `None` if the (normalised) name is not exactly one dash between two names."""
    parts = name.split("-")
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return None
    return parts[0].strip(), parts[1].strip()


def detect_cap(channel_names: Iterable[str]) -> str:
    """Which built-in position table to read the names from: a BioSemi A1..H32 cap, or the 10-05 system.

    The check comes before any 10-05 lookup because the two systems share names: 10-05's A1/A2 are the earlobes, while
    BioSemi's A1 is the vertex, and C1..C6 or F1..F10 exist in both. A recording is a BioSemi cap when every electrode
    name has the cap's form (a letter A..H and a number 1..32) and at least one of them is not a 10-05 name (B1, D17,
    A3, ...). The cap is the smallest of biosemi128 (A..D), biosemi160 (A..E) and biosemi256 (A..H) that holds every
    name. Components of bipolar names count as electrodes. (Names E1..E32 alone are also an EGI net's:
    `resolve_channel_positions` refuses to guess between the two.)
    """
    electrodes = []
    for name in channel_names:
        normalized = normalize_channel_name(name)
        pair = split_bipolar(normalized)
        electrodes.extend(pair if pair is not None else (normalized,))
    upper = [e.upper() for e in electrodes]
    if not upper or not all(_BIOSEMI_NAME.match(e) for e in upper):
        return DEFAULT_MONTAGE
    ten_five = _table_index(DEFAULT_MONTAGE)
    if all(e in ten_five for e in upper):
        return DEFAULT_MONTAGE
    for cap in BIOSEMI_CAPS:
        if all(e in _table_index(cap) for e in upper):
            return cap
    return DEFAULT_MONTAGE  # unreachable with the tables as generated; keeps the function total


@functools.lru_cache(maxsize=None)
def _table_index(montage: str) -> dict[str, tuple[str, tuple[float, float, float]]]:
    """Upper-case name → (name as spelled in the table, position). The 10-05 index also maps T3/T4/T5/T6 onto the
    modern names, so that T3 and T7 are one electrode (and a recording with both is a duplicate)."""
    if montage not in MONTAGE_POSITIONS:
        raise ValueError(f"Unknown montage {montage!r}; the built-in ones are {sorted(MONTAGE_POSITIONS)}.")
    table = MONTAGE_POSITIONS[montage]
    index = {name.upper(): (name, xyz) for name, xyz in table.items()}
    for old, new in OLD_1020_ALIASES.items():
        if new in table:
            index[old.upper()] = (new, table[new])
    return index


# ----------------------------------------------------------------------------------------------------------------------
# Positions
# ----------------------------------------------------------------------------------------------------------------------


def _only_egi_names(electrode_names: Sequence[str]) -> bool:
    """Every name (or bipolar end) is E<number>: the form an EGI net uses, which a BioSemi 160 cap's E bank shares."""
    ends = []
    for name in electrode_names:
        pair = split_bipolar(name)
        ends.extend(pair if pair is not None else (name,))
    return bool(ends) and all(re.fullmatch(r"E\d+", end, flags=re.IGNORECASE) for end in ends)


def head_frame_transform(nasion, lpa, rpa) -> tuple[np.ndarray, np.ndarray]:
    """Rotation and origin of MNE's "head" frame from the three fiducials given in any Cartesian frame.

    x runs from LPA to RPA, the origin is the point of that line closest to the nasion, y points to the nasion and
    z = x × y. A point `p` maps to `rotation @ (p - origin)`.
    """
    nasion, lpa, rpa = (np.asarray(p, dtype=np.float64) for p in (nasion, lpa, rpa))
    right = (rpa - lpa) / np.linalg.norm(rpa - lpa)
    origin = lpa + np.dot(nasion - lpa, right) * right
    anterior = (nasion - origin) / np.linalg.norm(nasion - origin)
    superior = np.cross(right, anterior)
    return np.stack([right, anterior, superior]), origin


def positions_from_montage(montage: Any) -> dict[str, tuple[float, float, float]]:
    """Channel positions (metres, head frame) of an `mne.channels.DigMontage`, read without importing mne.

    A montage already in the head frame (the one `raw.get_montage()` returns) is read as it is. One in another frame
    (e.g. `mne.channels.make_standard_montage(...)`, frame "unknown" or "mri") is moved to the head frame through its
    fiducials; without fiducials that is impossible and raises.
    """
    positions = montage.get_positions()
    channel_positions = {
        name: tuple(float(v) for v in xyz)
        for name, xyz in positions["ch_pos"].items()
        if xyz is not None and np.all(np.isfinite(xyz))
    }
    if positions.get("coord_frame") == "head":
        return channel_positions
    fiducials = [positions.get(key) for key in ("nasion", "lpa", "rpa")]
    if any(f is None for f in fiducials):
        raise ValueError(
            f"The montage's positions are in the {positions.get('coord_frame')!r} frame and it has no nasion/LPA/RPA "
            "fiducials, so they cannot be moved to MNE's head frame. Set the montage on an `mne.Info` first "
            "(`info.set_montage(montage)`) and pass `raw.get_montage()`, or pass head-frame positions as a dict."
        )
    rotation, origin = head_frame_transform(*fiducials)
    return {
        name: tuple(float(v) for v in rotation @ (np.asarray(xyz) - origin)) for name, xyz in channel_positions.items()
    }


def bipolar_midpoint(position_a: Sequence[float], position_b: Sequence[float]) -> np.ndarray:
    """Position of a bipolar derivation: the midpoint of its two electrodes (official code, `get_3d_pos`)."""
    return (np.asarray(position_a, dtype=np.float64) + np.asarray(position_b, dtype=np.float64)) / 2.0


def _user_index(channel_positions: PositionSpec) -> tuple[dict[str, tuple[str, np.ndarray]], Optional[str]]:
    """Split a position spec into a user index (upper-case normalised name → (name, xyz)) and a forced montage."""
    if channel_positions is None:
        return {}, None
    if isinstance(channel_positions, str):
        _table_index(channel_positions)  # raises on an unknown montage name
        return {}, channel_positions
    if hasattr(channel_positions, "get_positions"):  # an mne DigMontage
        channel_positions = positions_from_montage(channel_positions)
    if not isinstance(channel_positions, Mapping):
        raise ValueError(
            "channel_positions must be a dict {name: (x, y, z)} in metres (MNE head frame), an mne DigMontage, or the "
            f"name of a built-in montage ({sorted(MONTAGE_POSITIONS)}); got {type(channel_positions).__name__}."
        )
    index = {}
    for name, xyz in channel_positions.items():
        position = np.asarray(xyz, dtype=np.float64)
        if position.shape != (3,) or not np.all(np.isfinite(position)):
            raise ValueError(
                f"The position of channel {name!r} must be 3 finite numbers (x, y, z) in metres, got {xyz!r}."
            )
        index[normalize_channel_name(name).upper()] = (normalize_channel_name(name), position)
    return index, None


def resolve_channel_positions(
    channel_names: Sequence[str], channel_positions: PositionSpec = None, fallback_positions: PositionSpec = None
) -> tuple[np.ndarray, list[str]]:
    """Map channel names to electrode positions.

    Args:
        channel_names (`Sequence[str]`):
            Names as the recording spells them: `"Fp1"`, `"EEG FP1-REF"`, `"EEG-Cz"`, `"Fc5."`, `"T3"`, `"B17"`,
            `"Fp1-F7"` (bipolar: the midpoint), `"C3-A2"` (referential, against an ear or mastoid: at C3).
        channel_positions (`dict`, `DigMontage` or `str`, *optional*):
            Positions that win over the built-in tables: a dict `{name: (x, y, z)}` in metres (MNE head frame), an mne
            `DigMontage`, or the name of a built-in table (`"biosemi64"`, ...) to read before the 10-05 one.
        fallback_positions (`dict`, `DigMontage` or `str`, *optional*):
            Same forms; consulted after `channel_positions` and before the built-in tables (the feature extractor
            passes the recording's own montage first and its saved `channel_positions` here).

    Returns:
        `(positions, canonical_names)`: `positions` is a float64 array of shape `(channels, 3)`; `canonical_names` are
        the names as the tables spell them (`"Fc5."` → `"FC5"`, `"T3"` → `"T7"`, `"EEG FP1-F7"` → `"Fp1-F7"`).

    Raises:
        `ValueError`: if any name has no position (all unknown names are listed), or if two names are one electrode.
    """
    primary, forced_primary = _user_index(channel_positions)
    fallback, forced_fallback = _user_index(fallback_positions)
    user = {**fallback, **primary}
    forced = forced_primary or forced_fallback
    normalized = [normalize_channel_name(name) for name in channel_names]

    # The cap is detected on the names the user gave no position for, so user-named extras do not hide it.
    unresolved_by_user = [n for n in normalized if n.upper() not in user]
    tables = [forced] if forced else []
    detected = detect_cap(unresolved_by_user)
    if not forced and detected in BIOSEMI_CAPS and _only_egi_names(unresolved_by_user):
        raise ValueError(
            f"Channel names {unresolved_by_user[:6]}{'...' if len(unresolved_by_user) > 6 else ''} are ambiguous: "
            "EGI (Geodesic/HydroCel) nets name their electrodes E1, E2, ... and so does the E bank of a BioSemi 160 "
            "cap, at other places on the head. Say which: for an EGI net pass its montage, e.g. "
            "`channel_positions=mne.channels.make_standard_montage('GSN-HydroCel-129')` (or set it on the mne "
            "object: `raw.set_montage(...)`); for a BioSemi cap pass `channel_positions='biosemi160'`."
        )
    tables += [t for t in (detected, DEFAULT_MONTAGE) if t not in tables]
    referential = detected not in BIOSEMI_CAPS  # BioSemi's A1/A2 are scalp electrodes, not the earlobes

    def lookup(name: str) -> Optional[tuple[str, np.ndarray]]:
        key = name.upper()
        if key in user:
            return user[key]
        for table in tables:
            index = _table_index(table)
            if key in index:
                canonical, xyz = index[key]
                return canonical, np.asarray(xyz, dtype=np.float64)
        return None

    positions, canonical_names, unknown = [], [], []
    for original, name in zip(channel_names, normalized):
        found = lookup(name)
        pair = split_bipolar(name) if found is None else None
        if found is None and pair is not None and referential and pair[1].upper() in REFERENCE_SITES:
            found = lookup(pair[0])  # "C3-A2": C3 against an ear / mastoid reference, at C3
        elif found is None and pair is not None:
            ends = [lookup(electrode) for electrode in pair]
            if all(end is not None for end in ends):
                found = (f"{ends[0][0]}-{ends[1][0]}", bipolar_midpoint(ends[0][1], ends[1][1]))
        if found is None:
            unknown.append(original)
            continue
        canonical_names.append(found[0])
        positions.append(found[1])

    if unknown:
        raise ValueError(
            f"No electrode position for {len(unknown)} channel(s): {unknown}. Known names are the 10-05 system "
            "(mne's colin27_1005 template, with the old names T3/T4/T5/T6), BioSemi A1..H32 caps, 'A-B' bipolar "
            "pairs of those and 'A-A2' referential channels (ear / mastoid reference); 'EEG ' prefixes, '-REF'/'-LE' "
            "suffixes, trailing dots and case are ignored. Pass "
            "`channel_positions={name: (x, y, z)}` in metres (MNE head frame: +x right ear, +y nasion, +z up) or an "
            "`mne.channels.DigMontage`, or drop the non-EEG channels."
        )
    seen: dict[str, str] = {}
    duplicates = []
    for original, canonical in zip(channel_names, canonical_names):
        if canonical.upper() in seen:
            duplicates.append(f"{seen[canonical.upper()]!r} and {original!r} (both {canonical})")
        else:
            seen[canonical.upper()] = original
    if duplicates:
        raise ValueError(f"Duplicate channels (the same electrode twice after normalisation): {'; '.join(duplicates)}.")
    return np.stack(positions).reshape(len(positions), 3), canonical_names


# ----------------------------------------------------------------------------------------------------------------------
# Lobe groups for Intra-Inter Lobe Pooling
# ----------------------------------------------------------------------------------------------------------------------

LOBE_GROUP_NAMES: dict[str, list[str]] = {
    "functional": ["frontal", "central-parietal", "occipital", "temporal-left", "temporal-right"],
    "hemisphere": ["left", "right"],
    "sagittal": ["left-lateral", "left-medial", "midline", "right-medial", "right-lateral"],
    "coronal": ["prefrontal", "frontal", "central", "parietal", "occipital"],
    "none": ["all"],
}

# Rules act on the unit vector u = (p - HEAD_CENTRE) / |p - HEAD_CENTRE| (components: lateral u_x, anterior u_y,
# superior u_z), so they do not depend on head size. HEAD_CENTRE is the centre of the sphere that best fits the colin27
# 10-05 positions (least squares, radius 9.9 cm). Thresholds were set on the double-banana midpoints; see
# docs/preprocessing.md and tests/test_electrodes.py for the agreement with the paper's hand-written lists.
HEAD_CENTRE = (0.0, 0.015, 0.04)
ANTERIOR_EDGE = 0.6  # u_y above: frontal (functional) / prefrontal (coronal); below minus it: occipital
CORONAL_CENTRAL_EDGE = 0.2  # |u_y| within: the central coronal band
ELEVATED = 0.15  # u_z above (~9° above the centre): reaches the central-parietal group
TEMPORAL_LATERAL = 0.8  # |u_x| above (~53° off the midsagittal plane): temporal
MIDLINE = 0.1  # |u_x| below (~1 cm at the scalp): midline, in both hemispheres
LATERAL_CHAIN_DEGREES = 75.0  # angle from the vertex in the coronal plane beyond which a channel is lateral (sagittal)


def lobe_membership(
    channel_positions: torch.Tensor, scheme: str = "functional", channel_mask: Optional[torch.Tensor] = None
) -> torch.Tensor:
    r"""
    Assign each channel to the lobe groups of a pooling scheme, from its position alone.

    The official code pools hand-written channel-index lists made for one montage; rules on positions give the same
    groups on the paper's double banana (see the tests) and work on any montage. Groups may overlap (a T7-C3 midpoint is
    temporal and central) and may be empty. Every real channel is in at least one group of every scheme.

    With u the unit direction from `HEAD_CENTRE` to the channel (u_x right, u_y front, u_z up):

    - `"functional"` (IILP default): frontal u_y > 0.6; occipital u_y < -0.6; in between, central-parietal if
      u_z > 0.15, and temporal-left / temporal-right (by the sign of u_x; midline: both) if |u_x| > 0.8 or u_z <= 0.15.
    - `"hemisphere"`: left u_x < 0.1, right u_x > -0.1 (midline channels in both).
    - `"sagittal"`: midline |u_x| < 0.1; otherwise lateral if the angle from the vertex in the coronal plane,
      atan2(|u_x|, u_z), exceeds 75°, else medial; left/right by the sign of u_x.
    - `"coronal"`: five bands of u_y, edges 0.6, 0.2, -0.2, -0.6 (prefrontal → occipital).
    - `"none"`: one group with every channel.

    Args:
        channel_positions (`torch.Tensor` of shape `(..., channels, 3)`):
            Metres in MNE's head frame (+x right ear, +y nasion, +z up). Commonly `(batch, channels, 3)` or
            `(channels, 3)`.
        scheme (`str`, *optional*, defaults to `"functional"`): a key of `LOBE_GROUP_NAMES`.
        channel_mask (`torch.Tensor` of shape `(..., channels)`, *optional*):
            1 (or True) for real channels, 0 for padding. Padded channels belong to no group.

    Returns:
        `torch.Tensor` of shape `(..., num_groups, channels)`, in the floating dtype of `channel_positions` (float32 for
        integer input): 1.0 where channel c belongs to group g. It carries no gradient: membership is piecewise
        constant in the positions, so the positions are detached.
    """
    if scheme not in LOBE_GROUP_NAMES:
        raise ValueError(f"Unknown lobe scheme {scheme!r}; choose one of {list(LOBE_GROUP_NAMES)}.")
    if channel_positions.shape[-1] != 3:
        raise ValueError(f"channel_positions must have shape (..., channels, 3), got {tuple(channel_positions.shape)}.")
    dtype = channel_positions.dtype if channel_positions.is_floating_point() else torch.float32
    positions = channel_positions.detach().to(dtype)
    centre = torch.tensor(HEAD_CENTRE, dtype=dtype, device=positions.device)
    direction = positions - centre
    direction = direction / direction.norm(dim=-1, keepdim=True).clamp_min(1e-9)
    lateral, anterior, superior = direction.unbind(dim=-1)  # each (..., C)
    left, right = lateral < MIDLINE, lateral > -MIDLINE

    if scheme == "functional":
        frontal = anterior > ANTERIOR_EDGE
        occipital = anterior < -ANTERIOR_EDGE
        between = ~frontal & ~occipital
        central = between & (superior > ELEVATED)
        temporal = between & ((lateral.abs() > TEMPORAL_LATERAL) | (superior <= ELEVATED))
        groups = [frontal, central, occipital, temporal & left, temporal & right]
    elif scheme == "hemisphere":
        groups = [left, right]
    elif scheme == "sagittal":
        midline = lateral.abs() < MIDLINE
        lateral_chain = torch.atan2(lateral.abs(), superior) > math.radians(LATERAL_CHAIN_DEGREES)
        groups = [
            ~midline & (lateral < 0) & lateral_chain,
            ~midline & (lateral < 0) & ~lateral_chain,
            midline,
            ~midline & (lateral > 0) & ~lateral_chain,
            ~midline & (lateral > 0) & lateral_chain,
        ]
    elif scheme == "coronal":
        groups = [
            anterior > ANTERIOR_EDGE,
            (anterior > CORONAL_CENTRAL_EDGE) & (anterior <= ANTERIOR_EDGE),
            anterior.abs() <= CORONAL_CENTRAL_EDGE,
            (anterior < -CORONAL_CENTRAL_EDGE) & (anterior >= -ANTERIOR_EDGE),
            anterior < -ANTERIOR_EDGE,
        ]
    else:  # "none"
        groups = [torch.ones_like(anterior, dtype=torch.bool)]

    membership = torch.stack(groups, dim=-2)  # (..., G, C)
    if channel_mask is not None:
        membership = membership & channel_mask.to(device=membership.device).bool().unsqueeze(-2)
    return membership.to(dtype)
