# coding=utf-8
# Copyright 2026 The NeurIPT developers. MIT licence.
"""Electrode registry of NeurIPT: channel names → 3-D positions, and positions → IILP lobe groups.

NeurIPT tags every channel with its scalp position (paper Eq. 1), so the model works on any montage. This module
turns the channel names of a recording into positions, and positions into the lobe groups of the IILP head:

- `resolve_channel_positions(names)`: metres in MNE's "head" frame (origin between the pre-auricular points, +x towards
  the right ear, +y towards the nasion, +z up). It knows the 10-05 system (mne's `colin27_1005` template), the BioSemi
  caps (A1..H32 names), bipolar "A-B" pairs (the midpoint, as in the official code) and user-supplied positions.
- `lobe_membership(positions)`: which channel belongs to which lobe group, from its position only, in pure torch so the
  classification head can call it inside `forward`.

Part of the Hub bundle: imports only the standard library, numpy and torch. The position tables at the end of the file
are generated from mne by `_generate_electrodes.py` (not shipped).
"""

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np
import torch

DEFAULT_MONTAGE = "colin27_1005"
BIOSEMI_CAPS = ("biosemi128", "biosemi160", "biosemi256")  # the caps named A1..H32; biosemi16/32/64 use 10-20 names

# The old 10-20 temporal names (still used by TUH, the double banana and the paper) and their 10-10 equivalents.
OLD_1020_ALIASES = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}
_OLD_1020_UPPER = {old.upper(): new.upper() for old, new in OLD_1020_ALIASES.items()}

# The paper's 20 bipolar derivations, in the official channel order (`get_3d_pos`). The official list has "Fp2-F3" at
# index 12, a typo for the canonical Fp1-F3 (neuript_paper.md §1.3); we use Fp1-F3.
DOUBLE_BANANA_PAIRS = [
    "Fp1-F7", "F7-T3", "T3-T5", "T5-O1",
    "Fp2-F8", "F8-T4", "T4-T6", "T6-O2",
    "T3-C3", "C3-Cz", "Cz-C4", "C4-T4",
    "Fp1-F3", "F3-C3", "C3-P3", "P3-O1",
    "Fp2-F4", "F4-C4", "C4-P4", "P4-O2",
]  # fmt: skip

_EEG_PREFIX = re.compile(r"^EEG[\s_:]+", flags=re.IGNORECASE)
_REFERENCE_SUFFIX = re.compile(r"-(REF|LE|AR|AVG|CAR)$", flags=re.IGNORECASE)
_BIOSEMI_NAME = re.compile(r"^[A-H]([1-9]|[12][0-9]|3[0-2])$")

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
    name. Components of bipolar names count as electrodes.
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
            Names as the recording spells them: `"Fp1"`, `"EEG FP1-REF"`, `"Fc5."`, `"T3"`, `"B17"`, `"Fp1-F7"`.
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
    tables += [t for t in (detected, DEFAULT_MONTAGE) if t not in tables]

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
        if found is None and pair is not None:
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
            "(mne's colin27_1005 template, with the old names T3/T4/T5/T6), BioSemi A1..H32 caps, and 'A-B' bipolar "
            "pairs of those; 'EEG ' prefixes, '-REF'/'-LE' suffixes, trailing dots and case are ignored. Pass "
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


# ----------------------------------------------------------------------------------------------------------------------
# Position tables
# ----------------------------------------------------------------------------------------------------------------------

# BEGIN GENERATED TABLES
# Written by modeling_neuript/_generate_electrodes.py from mne 1.13.2; do not edit by hand.
# Metres in MNE's head frame (+x right ear, +y nasion, +z up), rounded to 0.1 µm.
MONTAGE_POSITIONS: dict[str, dict[str, tuple[float, float, float]]] = {
    "colin27_1005": {
        "Fp1": (-0.0309026, 0.1145852, 0.0278666),
        "Fpz": (-0.0013373, 0.1191018, 0.0328899),
        "Fp2": (0.0284095, 0.1153463, 0.0277213),
        "AF9": (-0.0505152, 0.0925524, -0.0116382),
        "AF7": (-0.0563607, 0.0991515, 0.0251413),
        "AF5": (-0.0469331, 0.1043393, 0.0414398),
        "AF3": (-0.0351860, 0.1091296, 0.0564392),
        "AF1": (-0.0199439, 0.1127901, 0.0677720),
        "AFz": (-0.0012374, 0.1137399, 0.0703837),
        "AF2": (0.0183493, 0.1130517, 0.0677615),
        "AF4": (0.0342299, 0.1098113, 0.0571167),
        "AF6": (0.0450847, 0.1049592, 0.0414421),
        "AF8": (0.0542255, 0.0998316, 0.0249151),
        "AF10": (0.0488893, 0.0919635, -0.0119475),
        "F9": (-0.0717263, 0.0701004, -0.0126332),
        "F7": (-0.0718766, 0.0731035, 0.0257905),
        "F5": (-0.0660541, 0.0802398, 0.0537711),
        "F3": (-0.0518090, 0.0866879, 0.0787141),
        "F1": (-0.0290439, 0.0914485, 0.0966187),
        "Fz": (-0.0012293, 0.0932745, 0.1026393),
        "F2": (0.0279679, 0.0918700, 0.0957799),
        "F4": (0.0502743, 0.0874384, 0.0772707),
        "F6": (0.0663313, 0.0815290, 0.0531163),
        "F8": (0.0714353, 0.0745051, 0.0251010),
        "F10": (0.0704901, 0.0699798, -0.0131559),
        "FT9": (-0.0857965, 0.0430817, -0.0115757),
        "FT7": (-0.0824893, 0.0448487, 0.0276806),
        "FC5": (-0.0789060, 0.0513674, 0.0629623),
        "FC3": (-0.0618523, 0.0571333, 0.0937658),
        "FC1": (-0.0357159, 0.0617141, 0.1179830),
        "FCz": (-0.0012714, 0.0634598, 0.1265720),
        "FC2": (0.0331310, 0.0618285, 0.1167817),
        "FC4": (0.0606255, 0.0577074, 0.0937946),
        "FC6": (0.0778466, 0.0520988, 0.0628671),
        "FT8": (0.0801043, 0.0455536, 0.0274124),
        "FT10": (0.0823907, 0.0422749, -0.0116731),
        "T9": (-0.0877223, 0.0128627, -0.0077119),
        "T7": (-0.0859821, 0.0148716, 0.0311734),
        "C5": (-0.0820853, 0.0192936, 0.0694897),
        "C3": (-0.0671487, 0.0233582, 0.1045107),
        "C1": (-0.0379378, 0.0263375, 0.1297706),
        "Cz": (-0.0013741, 0.0276171, 0.1401995),
        "C2": (0.0358927, 0.0263581, 0.1284123),
        "C4": (0.0653289, 0.0235731, 0.1036924),
        "C6": (0.0816532, 0.0196957, 0.0694818),
        "T8": (0.0832614, 0.0152582, 0.0309730),
        "T10": (0.0837288, 0.0117216, -0.0076699),
        "TP9": (-0.0875558, -0.0176290, -0.0034024),
        "TP7": (-0.0867573, -0.0149510, 0.0351587),
        "CP5": (-0.0815135, -0.0133457, 0.0731326),
        "CP3": (-0.0654722, -0.0118966, 0.1077779),
        "CP1": (-0.0374251, -0.0108242, 0.1334437),
        "CPz": (-0.0015249, -0.0105184, 0.1415491),
        "CP2": (0.0364720, -0.0109038, 0.1328123),
        "CP4": (0.0646963, -0.0119912, 0.1077129),
        "CP6": (0.0814011, -0.0134620, 0.0733637),
        "TP8": (0.0836223, -0.0150857, 0.0350577),
        "TP10": (0.0842222, -0.0187691, -0.0035348),
        "P9": (-0.0750419, -0.0446143, 0.0028421),
        "P7": (-0.0744580, -0.0421232, 0.0412736),
        "P5": (-0.0692998, -0.0432270, 0.0722538),
        "P3": (-0.0550382, -0.0442103, 0.0999090),
        "P1": (-0.0306536, -0.0449274, 0.1194720),
        "Pz": (-0.0017094, -0.0452130, 0.1266729),
        "P2": (0.0298864, -0.0450325, 0.1207478),
        "P4": (0.0536360, -0.0443345, 0.1005160),
        "P6": (0.0658606, -0.0433385, 0.0719413),
        "P8": (0.0710325, -0.0422600, 0.0411989),
        "P10": (0.0718590, -0.0457731, 0.0026558),
        "PO9": (-0.0570282, -0.0686054, 0.0097411),
        "PO7": (-0.0569486, -0.0659232, 0.0479074),
        "PO5": (-0.0505353, -0.0666911, 0.0667869),
        "PO3": (-0.0386246, -0.0673616, 0.0824156),
        "PO1": (-0.0210871, -0.0678071, 0.0918213),
        "POz": (-0.0018998, -0.0680541, 0.0959100),
        "PO2": (0.0177626, -0.0679783, 0.0916799),
        "PO4": (0.0346678, -0.0676621, 0.0816465),
        "PO6": (0.0477077, -0.0671385, 0.0669206),
        "PO8": (0.0535573, -0.0664169, 0.0478510),
        "PO10": (0.0528689, -0.0690469, 0.0096678),
        "O1": (-0.0315736, -0.0805684, 0.0547896),
        "Oz": (-0.0020602, -0.0827830, 0.0607366),
        "O2": (0.0276831, -0.0804888, 0.0547341),
        "I1": (-0.0319938, -0.0848394, 0.0169158),
        "Iz": (-0.0021840, -0.0885865, 0.0232702),
        "I2": (0.0275669, -0.0847440, 0.0168583),
        "AFp9h": (-0.0447884, 0.1053820, 0.0071032),
        "AFp7h": (-0.0400312, 0.1107731, 0.0300828),
        "AFp5h": (-0.0294548, 0.1136732, 0.0376256),
        "AFp3h": (-0.0186539, 0.1164357, 0.0448035),
        "AFp1h": (-0.0073825, 0.1187708, 0.0508517),
        "AFp2h": (0.0056551, 0.1189354, 0.0511091),
        "AFp4h": (0.0174668, 0.1171340, 0.0461748),
        "AFp6h": (0.0271767, 0.1139948, 0.0377221),
        "AFp8h": (0.0378430, 0.1112437, 0.0303108),
        "AFp10h": (0.0423254, 0.1057540, 0.0070014),
        "AFF9h": (-0.0648310, 0.0833733, 0.0062802),
        "AFF7h": (-0.0629041, 0.0900679, 0.0371633),
        "AFF5h": (-0.0523301, 0.0965205, 0.0590228),
        "AFF3h": (-0.0358270, 0.1018317, 0.0768463),
        "AFF1h": (-0.0129369, 0.1046282, 0.0858578),
        "AFF2h": (0.0119797, 0.1050305, 0.0866583),
        "AFF4h": (0.0346743, 0.1023412, 0.0768693),
        "AFF6h": (0.0508699, 0.0971685, 0.0587378),
        "AFF8h": (0.0613655, 0.0908543, 0.0368261),
        "AFF10h": (0.0627588, 0.0836534, 0.0061103),
        "FFT9h": (-0.0807357, 0.0576420, 0.0068043),
        "FFT7h": (-0.0761500, 0.0628837, 0.0426631),
        "FFC5h": (-0.0668635, 0.0697426, 0.0736205),
        "FFC3h": (-0.0460150, 0.0754421, 0.0988801),
        "FFC1h": (-0.0170157, 0.0791377, 0.1146823),
        "FFC2h": (0.0160016, 0.0794196, 0.1147658),
        "FFC4h": (0.0442503, 0.0759212, 0.0977900),
        "FFC6h": (0.0655063, 0.0705931, 0.0726961),
        "FFT8h": (0.0764079, 0.0639991, 0.0422054),
        "FFT10h": (0.0784288, 0.0575026, 0.0066949),
        "FTT9h": (-0.0858998, 0.0278628, 0.0099557),
        "FTT7h": (-0.0841125, 0.0326981, 0.0481157),
        "FCC5h": (-0.0764298, 0.0382220, 0.0845879),
        "FCC3h": (-0.0527728, 0.0426533, 0.1134485),
        "FCC1h": (-0.0199306, 0.0454782, 0.1314628),
        "FCC2h": (0.0170755, 0.0454453, 0.1304886),
        "FCC4h": (0.0501646, 0.0428574, 0.1125447),
        "FCC6h": (0.0752669, 0.0387155, 0.0845723),
        "FTT8h": (0.0821334, 0.0332199, 0.0479744),
        "FTT10h": (0.0823473, 0.0273114, 0.0101092),
        "TTP9h": (-0.0888553, -0.0023370, 0.0136182),
        "TTP7h": (-0.0874338, 0.0014509, 0.0524668),
        "CCP5h": (-0.0782650, 0.0044703, 0.0904189),
        "CCP3h": (-0.0547769, 0.0069707, 0.1214093),
        "CCP1h": (-0.0201975, 0.0084452, 0.1392634),
        "CCP2h": (0.0183769, 0.0084787, 0.1392056),
        "CCP4h": (0.0532663, 0.0071147, 0.1215495),
        "CCP6h": (0.0771497, 0.0046839, 0.0907870),
        "TTP8h": (0.0841330, 0.0016531, 0.0525158),
        "TTP10h": (0.0867413, -0.0030268, 0.0134696),
        "TPP9h": (-0.0801430, -0.0306355, 0.0192519),
        "TPP7h": (-0.0786559, -0.0286372, 0.0559013),
        "CPP5h": (-0.0700916, -0.0288609, 0.0903395),
        "CPP3h": (-0.0488912, -0.0290616, 0.1184357),
        "CPP1h": (-0.0177974, -0.0291814, 0.1343297),
        "CPP2h": (0.0174426, -0.0292316, 0.1355684),
        "CPP4h": (0.0486971, -0.0291533, 0.1192564),
        "CPP6h": (0.0691198, -0.0290020, 0.0903954),
        "TPP8h": (0.0765445, -0.0287894, 0.0559006),
        "TPP10h": (0.0769182, -0.0313914, 0.0192821),
        "PPO9h": (-0.0666748, -0.0572671, 0.0255774),
        "PPO7h": (-0.0650298, -0.0553101, 0.0574835),
        "PPO5h": (-0.0560845, -0.0563535, 0.0819600),
        "PPO3h": (-0.0379643, -0.0571543, 0.1002030),
        "PPO1h": (-0.0141257, -0.0576111, 0.1102441),
        "PPO2h": (0.0118441, -0.0577083, 0.1116967),
        "PPO4h": (0.0357216, -0.0573091, 0.1014278),
        "PPO6h": (0.0525347, -0.0564986, 0.0816488),
        "PPO8h": (0.0610414, -0.0554899, 0.0573720),
        "PPO10h": (0.0629349, -0.0578749, 0.0256478),
        "POO9h": (-0.0450114, -0.0773968, 0.0325871),
        "POO7h": (-0.0422609, -0.0750364, 0.0577052),
        "POO5h": (-0.0340938, -0.0755645, 0.0687372),
        "POO3h": (-0.0220059, -0.0759163, 0.0754785),
        "POO1h": (-0.0090635, -0.0761128, 0.0784417),
        "POO2h": (0.0046595, -0.0761286, 0.0773101),
        "POO4h": (0.0181497, -0.0760774, 0.0746622),
        "POO6h": (0.0300327, -0.0758375, 0.0679464),
        "POO8h": (0.0389561, -0.0754368, 0.0577886),
        "POO10h": (0.0417413, -0.0787588, 0.0326278),
        "OI1h": (-0.0170335, -0.0870416, 0.0393695),
        "OI2h": (0.0129112, -0.0871798, 0.0393583),
        "Fp1h": (-0.0162644, 0.1179881, 0.0301876),
        "Fp2h": (0.0137114, 0.1187318, 0.0300653),
        "AF9h": (-0.0563623, 0.0959136, 0.0061802),
        "AF7h": (-0.0526869, 0.1018991, 0.0338339),
        "AF5h": (-0.0411345, 0.1067564, 0.0490139),
        "AF3h": (-0.0286960, 0.1113803, 0.0634697),
        "AF1h": (-0.0106670, 0.1135918, 0.0701095),
        "AF2h": (0.0090139, 0.1137940, 0.0703204),
        "AF4h": (0.0271048, 0.1117800, 0.0635309),
        "AF6h": (0.0394491, 0.1073514, 0.0491461),
        "AF8h": (0.0505210, 0.1025316, 0.0336119),
        "AF10h": (0.0542237, 0.0962688, 0.0060175),
        "F9h": (-0.0731304, 0.0706547, 0.0064644),
        "F7h": (-0.0701566, 0.0767196, 0.0400302),
        "F5h": (-0.0600641, 0.0836026, 0.0668715),
        "F3h": (-0.0415354, 0.0893862, 0.0889837),
        "F1h": (-0.0149278, 0.0925936, 0.1005473),
        "F2h": (0.0142921, 0.0930800, 0.1011748),
        "F4h": (0.0402413, 0.0899972, 0.0878297),
        "F6h": (0.0584799, 0.0845082, 0.0653097),
        "F8h": (0.0703641, 0.0780942, 0.0393959),
        "F10h": (0.0711772, 0.0708329, 0.0062528),
        "FT9h": (-0.0846770, 0.0429438, 0.0080845),
        "FT7h": (-0.0818165, 0.0481311, 0.0455082),
        "FC5h": (-0.0728899, 0.0544745, 0.0796760),
        "FC3h": (-0.0501732, 0.0596715, 0.1072333),
        "FC1h": (-0.0189930, 0.0630587, 0.1248505),
        "FC2h": (0.0167696, 0.0631504, 0.1243513),
        "FC4h": (0.0478885, 0.0599901, 0.1064883),
        "FC6h": (0.0715424, 0.0551436, 0.0795818),
        "FT8h": (0.0798810, 0.0488310, 0.0451493),
        "FT10h": (0.0816498, 0.0425824, 0.0081304),
        "T9h": (-0.0869607, 0.0127421, 0.0118782),
        "T7h": (-0.0847591, 0.0170975, 0.0504330),
        "C5h": (-0.0770916, 0.0214555, 0.0881402),
        "C3h": (-0.0533659, 0.0249592, 0.1181161),
        "C1h": (-0.0200554, 0.0272555, 0.1373311),
        "C2h": (0.0179014, 0.0271547, 0.1356765),
        "C4h": (0.0520225, 0.0251766, 0.1177769),
        "C6h": (0.0763297, 0.0218090, 0.0880250),
        "T8h": (0.0833262, 0.0174676, 0.0502588),
        "T10h": (0.0842701, 0.0120989, 0.0118550),
        "TP9h": (-0.0867455, -0.0172583, 0.0160947),
        "TP7h": (-0.0846284, -0.0141565, 0.0541737),
        "CP5h": (-0.0752197, -0.0125804, 0.0912771),
        "CP3h": (-0.0529630, -0.0112929, 0.1221563),
        "CP1h": (-0.0192653, -0.0105936, 0.1395318),
        "CP2h": (0.0187690, -0.0105818, 0.1401864),
        "CP4h": (0.0520834, -0.0113780, 0.1222009),
        "CP6h": (0.0746318, -0.0126940, 0.0912843),
        "TP8h": (0.0832763, -0.0142570, 0.0542737),
        "TP10h": (0.0835065, -0.0178371, 0.0161372),
        "P9h": (-0.0742090, -0.0443759, 0.0223217),
        "P7h": (-0.0721389, -0.0426672, 0.0568149),
        "P5h": (-0.0637577, -0.0437483, 0.0869518),
        "P3h": (-0.0437056, -0.0446039, 0.1107213),
        "P1h": (-0.0159953, -0.0451415, 0.1250572),
        "P2h": (0.0152637, -0.0451947, 0.1256929),
        "P4h": (0.0427156, -0.0447167, 0.1116517),
        "P6h": (0.0615977, -0.0438680, 0.0870244),
        "P8h": (0.0700785, -0.0428039, 0.0568199),
        "P10h": (0.0712475, -0.0453445, 0.0223072),
        "PO9h": (-0.0568926, -0.0684451, 0.0290349),
        "PO7h": (-0.0540380, -0.0663094, 0.0574560),
        "PO5h": (-0.0454546, -0.0670537, 0.0752300),
        "PO3h": (-0.0301214, -0.0676040, 0.0876480),
        "PO1h": (-0.0116186, -0.0679691, 0.0947152),
        "PO2h": (0.0081203, -0.0680353, 0.0942382),
        "PO4h": (0.0265331, -0.0678482, 0.0874090),
        "PO6h": (0.0421077, -0.0674327, 0.0750324),
        "PO8h": (0.0507280, -0.0667772, 0.0574073),
        "PO10h": (0.0537384, -0.0697552, 0.0290718),
        "O1h": (-0.0169745, -0.0830977, 0.0579250),
        "O2h": (0.0129760, -0.0832949, 0.0579341),
        "I1h": (-0.0173463, -0.0883782, 0.0202867),
        "I2h": (0.0129409, -0.0883970, 0.0202485),
        "AFp9": (-0.0376394, 0.1008900, -0.0102798),
        "AFp7": (-0.0449969, 0.1091795, 0.0259224),
        "AFp5": (-0.0347590, 0.1122245, 0.0338606),
        "AFp3": (-0.0238163, 0.1149451, 0.0409267),
        "AFp1": (-0.0136953, 0.1179966, 0.0488816),
        "AFpz": (-0.0012787, 0.1192627, 0.0520665),
        "AFp2": (0.0121707, 0.1185305, 0.0499619),
        "AFp4": (0.0226396, 0.1156705, 0.0422404),
        "AFp6": (0.0324407, 0.1125952, 0.0339312),
        "AFp8": (0.0424651, 0.1095794, 0.0258219),
        "AFp10": (0.0361963, 0.1003959, -0.0106122),
        "AFF9": (-0.0609249, 0.0811392, -0.0120775),
        "AFF7": (-0.0648275, 0.0865887, 0.0252716),
        "AFF5": (-0.0573617, 0.0932632, 0.0479856),
        "AFF3": (-0.0449018, 0.0993669, 0.0685975),
        "AFF1": (-0.0250864, 0.1036607, 0.0828552),
        "AFFz": (-0.0012227, 0.1052083, 0.0875693),
        "AFF2": (0.0240557, 0.1041539, 0.0833522),
        "AFF4": (0.0436348, 0.0999536, 0.0684662),
        "AFF6": (0.0564619, 0.0940608, 0.0479333),
        "AFF8": (0.0631112, 0.0873969, 0.0249124),
        "AFF10": (0.0590138, 0.0802845, -0.0123218),
        "FFT9": (-0.0801541, 0.0572367, -0.0124728),
        "FFT7": (-0.0782777, 0.0593224, 0.0264852),
        "FFC5": (-0.0731434, 0.0664091, 0.0586355),
        "FFC3": (-0.0575547, 0.0727665, 0.0871130),
        "FFC1": (-0.0322523, 0.0775729, 0.1081215),
        "FFCz": (-0.0012390, 0.0795775, 0.1161155),
        "FFC2": (0.0310496, 0.0780185, 0.1078380),
        "FFC4": (0.0558925, 0.0734413, 0.0860732),
        "FFC6": (0.0726171, 0.0674268, 0.0579343),
        "FFT8": (0.0773762, 0.0604287, 0.0259012),
        "FFT10": (0.0782494, 0.0568221, -0.0128740),
        "FTT9": (-0.0891361, 0.0280692, -0.0101306),
        "FTT7": (-0.0844356, 0.0298659, 0.0293831),
        "FCC5": (-0.0818805, 0.0355071, 0.0667191),
        "FCC3": (-0.0658903, 0.0405922, 0.1000544),
        "FCC1": (-0.0374647, 0.0443564, 0.1244486),
        "FCCz": (-0.0013185, 0.0459968, 0.1344655),
        "FCC2": (0.0343547, 0.0443511, 0.1228048),
        "FCC4": (0.0634365, 0.0408722, 0.0991780),
        "FCC6": (0.0797993, 0.0360023, 0.0665471),
        "FTT8": (0.0814033, 0.0303930, 0.0292395),
        "FTT10": (0.0836163, 0.0270357, -0.0097894),
        "TTP9": (-0.0885148, -0.0024563, -0.0057361),
        "TTP7": (-0.0878074, -0.0001224, 0.0328976),
        "CCP5": (-0.0834064, 0.0029746, 0.0715303),
        "CCP3": (-0.0679811, 0.0058126, 0.1070485),
        "CCP1": (-0.0387755, 0.0078964, 0.1328019),
        "CCPz": (-0.0014464, 0.0087098, 0.1422985),
        "CCP2": (0.0366951, 0.0079292, 0.1320255),
        "CCP4": (0.0670024, 0.0060158, 0.1075224),
        "CCP6": (0.0826915, 0.0032111, 0.0720892),
        "TTP8": (0.0841274, 0.0000792, 0.0328904),
        "TTP10": (0.0848764, -0.0035702, -0.0057832),
        "TPP9": (-0.0827016, -0.0316351, -0.0004926),
        "TPP7": (-0.0805745, -0.0285229, 0.0382289),
        "CPP5": (-0.0756403, -0.0287462, 0.0734350),
        "CPP3": (-0.0613879, -0.0289673, 0.1057885),
        "CPP1": (-0.0347055, -0.0291372, 0.1291022),
        "CPPz": (-0.0016115, -0.0292249, 0.1372275),
        "CPP2": (0.0339149, -0.0291978, 0.1291278),
        "CPP4": (0.0602794, -0.0290883, 0.1058179),
        "CPP6": (0.0746951, -0.0288980, 0.0735764),
        "TPP8": (0.0773440, -0.0286697, 0.0381231),
        "TPP10": (0.0795703, -0.0327927, -0.0006661),
        "PPO9": (-0.0666474, -0.0571386, 0.0062291),
        "PPO7": (-0.0666519, -0.0547569, 0.0445126),
        "PPO5": (-0.0607846, -0.0558321, 0.0697729),
        "PPO3": (-0.0482360, -0.0567962, 0.0921138),
        "PPO1": (-0.0267261, -0.0574461, 0.1067998),
        "PPOz": (-0.0018059, -0.0577019, 0.1120837),
        "PPO2": (0.0243588, -0.0575674, 0.1079211),
        "PPO4": (0.0450681, -0.0569396, 0.0923354),
        "PPO6": (0.0587404, -0.0560305, 0.0702297),
        "PPO8": (0.0630833, -0.0549427, 0.0444549),
        "PPO10": (0.0629588, -0.0578927, 0.0061214),
        "POO9": (-0.0452793, -0.0779290, 0.0133505),
        "POO7": (-0.0451159, -0.0747473, 0.0513913),
        "POO5": (-0.0383759, -0.0753141, 0.0634183),
        "POO3": (-0.0281274, -0.0757512, 0.0722492),
        "POO1": (-0.0158085, -0.0760865, 0.0785879),
        "POOz": (-0.0019766, -0.0761495, 0.0785225),
        "POO2": (0.0115065, -0.0761327, 0.0766619),
        "POO4": (0.0245201, -0.0759977, 0.0721233),
        "POO6": (0.0355583, -0.0756829, 0.0637438),
        "POO8": (0.0415291, -0.0751640, 0.0513503),
        "POO10": (0.0410254, -0.0781684, 0.0132705),
        "OI1": (-0.0315627, -0.0836950, 0.0360777),
        "OIz": (-0.0021349, -0.0882795, 0.0424255),
        "OI2": (0.0273840, -0.0830329, 0.0359971),
        "T3": (-0.0859821, 0.0148716, 0.0311734),
        "T5": (-0.0744580, -0.0421232, 0.0412736),
        "T4": (0.0832614, 0.0152582, 0.0309730),
        "T6": (0.0710325, -0.0422600, 0.0411989),
        "M1": (-0.0880118, -0.0173664, -0.0257320),
        "M2": (0.0838570, -0.0180000, -0.0257759),
        "A1": (-0.0879408, 0.0026014, -0.0268645),
        "A2": (0.0839281, 0.0019678, -0.0269085),
    },
    "biosemi16": {
        "Fp1": (-0.0293387, 0.0902953, 0.0368333),
        "Fp2": (0.0293387, 0.0902953, 0.0368333),
        "F4": (0.0517757, 0.0639377, 0.0876487),
        "Fz": (0.0000000, 0.0683373, 0.1061413),
        "F3": (-0.0517757, 0.0639377, 0.0876487),
        "T7": (-0.0949421, 0.0000000, 0.0368333),
        "C3": (-0.0683373, 0.0000000, 0.1061413),
        "Cz": (0.0000000, 0.0000000, 0.1351487),
        "C4": (0.0683373, 0.0000000, 0.1061413),
        "T8": (0.0949421, 0.0000000, 0.0368333),
        "P4": (0.0517757, -0.0639377, 0.0876487),
        "Pz": (0.0000000, -0.0683373, 0.1061413),
        "P3": (-0.0517757, -0.0639377, 0.0876487),
        "O1": (-0.0293387, -0.0902953, 0.0368333),
        "Oz": (0.0000000, -0.0949421, 0.0368333),
        "O2": (0.0293387, -0.0902953, 0.0368333),
    },
    "biosemi32": {
        "Fp1": (-0.0293387, 0.0902953, 0.0368333),
        "AF3": (-0.0385934, 0.0827639, 0.0663343),
        "F7": (-0.0768098, 0.0558056, 0.0368333),
        "F3": (-0.0517757, 0.0639377, 0.0876487),
        "FC1": (-0.0355974, 0.0355974, 0.1207133),
        "FC5": (-0.0843493, 0.0323787, 0.0695053),
        "T7": (-0.0949421, 0.0000000, 0.0368333),
        "C3": (-0.0683373, 0.0000000, 0.1061413),
        "CP1": (-0.0355974, -0.0355974, 0.1207133),
        "CP5": (-0.0843493, -0.0323787, 0.0695053),
        "P7": (-0.0768098, -0.0558056, 0.0368333),
        "P3": (-0.0517757, -0.0639377, 0.0876487),
        "Pz": (0.0000000, -0.0683373, 0.1061413),
        "PO3": (-0.0385934, -0.0827639, 0.0663343),
        "O1": (-0.0293387, -0.0902953, 0.0368333),
        "Oz": (0.0000000, -0.0949421, 0.0368333),
        "O2": (0.0293387, -0.0902953, 0.0368333),
        "PO4": (0.0385934, -0.0827639, 0.0663343),
        "P4": (0.0517757, -0.0639377, 0.0876487),
        "P8": (0.0768098, -0.0558056, 0.0368333),
        "CP6": (0.0843493, -0.0323787, 0.0695053),
        "CP2": (0.0355974, -0.0355974, 0.1207133),
        "C4": (0.0683373, 0.0000000, 0.1061413),
        "T8": (0.0949421, 0.0000000, 0.0368333),
        "FC6": (0.0843493, 0.0323787, 0.0695053),
        "FC2": (0.0355974, 0.0355974, 0.1207133),
        "F4": (0.0517757, 0.0639377, 0.0876487),
        "F8": (0.0768098, 0.0558056, 0.0368333),
        "AF4": (0.0385934, 0.0827639, 0.0663343),
        "Fp2": (0.0293387, 0.0902953, 0.0368333),
        "Fz": (0.0000000, 0.0683373, 0.1061413),
        "Cz": (0.0000000, 0.0000000, 0.1351487),
    },
    "biosemi64": {
        "Fp1": (-0.0293387, 0.0902953, 0.0368333),
        "AF7": (-0.0558056, 0.0768098, 0.0368333),
        "AF3": (-0.0385934, 0.0827639, 0.0663343),
        "F1": (-0.0272617, 0.0674751, 0.1012136),
        "F3": (-0.0517757, 0.0639377, 0.0876487),
        "F5": (-0.0692544, 0.0602019, 0.0647365),
        "F7": (-0.0768098, 0.0558056, 0.0368333),
        "FT7": (-0.0902953, 0.0293387, 0.0368333),
        "FC5": (-0.0843493, 0.0323787, 0.0695053),
        "FC3": (-0.0642558, 0.0341654, 0.1012136),
        "FC1": (-0.0355974, 0.0355974, 0.1207133),
        "C1": (-0.0371195, 0.0000000, 0.1275967),
        "C3": (-0.0683373, 0.0000000, 0.1061413),
        "C5": (-0.0886901, 0.0000000, 0.0741937),
        "T7": (-0.0949421, 0.0000000, 0.0368333),
        "TP7": (-0.0902953, -0.0293387, 0.0368333),
        "CP5": (-0.0843493, -0.0323787, 0.0695053),
        "CP3": (-0.0642558, -0.0341654, 0.1012136),
        "CP1": (-0.0355974, -0.0355974, 0.1207133),
        "P1": (-0.0272617, -0.0674751, 0.1012136),
        "P3": (-0.0517757, -0.0639377, 0.0876487),
        "P5": (-0.0692544, -0.0602019, 0.0647365),
        "P7": (-0.0768098, -0.0558056, 0.0368333),
        "P9": (-0.0696557, -0.0506079, 0.0000000),
        "PO7": (-0.0558056, -0.0768098, 0.0368333),
        "PO3": (-0.0385934, -0.0827639, 0.0663343),
        "O1": (-0.0293387, -0.0902953, 0.0368333),
        "Iz": (0.0000000, -0.0860992, 0.0000000),
        "Oz": (0.0000000, -0.0949421, 0.0368333),
        "POz": (0.0000000, -0.0886901, 0.0741937),
        "Pz": (0.0000000, -0.0683373, 0.1061413),
        "CPz": (0.0000000, -0.0371195, 0.1275967),
        "Fpz": (0.0000000, 0.0949421, 0.0368333),
        "Fp2": (0.0293387, 0.0902953, 0.0368333),
        "AF8": (0.0558056, 0.0768098, 0.0368333),
        "AF4": (0.0385934, 0.0827639, 0.0663343),
        "AFz": (0.0000000, 0.0886901, 0.0741937),
        "Fz": (0.0000000, 0.0683373, 0.1061413),
        "F2": (0.0272617, 0.0674751, 0.1012136),
        "F4": (0.0517757, 0.0639377, 0.0876487),
        "F6": (0.0692544, 0.0602019, 0.0647365),
        "F8": (0.0768098, 0.0558056, 0.0368333),
        "FT8": (0.0902953, 0.0293387, 0.0368333),
        "FC6": (0.0843493, 0.0323787, 0.0695053),
        "FC4": (0.0642558, 0.0341654, 0.1012136),
        "FC2": (0.0355974, 0.0355974, 0.1207133),
        "FCz": (0.0000000, 0.0371195, 0.1275967),
        "Cz": (0.0000000, 0.0000000, 0.1351487),
        "C2": (0.0371195, 0.0000000, 0.1275967),
        "C4": (0.0683373, 0.0000000, 0.1061413),
        "C6": (0.0886901, 0.0000000, 0.0741937),
        "T8": (0.0949421, 0.0000000, 0.0368333),
        "TP8": (0.0902953, -0.0293387, 0.0368333),
        "CP6": (0.0843493, -0.0323787, 0.0695053),
        "CP4": (0.0642558, -0.0341654, 0.1012136),
        "CP2": (0.0355974, -0.0355974, 0.1207133),
        "P2": (0.0272617, -0.0674751, 0.1012136),
        "P4": (0.0517757, -0.0639377, 0.0876487),
        "P6": (0.0692544, -0.0602019, 0.0647365),
        "P8": (0.0768098, -0.0558056, 0.0368333),
        "P10": (0.0696557, -0.0506079, 0.0000000),
        "PO8": (0.0558056, -0.0768098, 0.0368333),
        "PO4": (0.0385934, -0.0827639, 0.0663343),
        "O2": (0.0293387, -0.0902953, 0.0368333),
    },
    "biosemi128": {
        "A1": (0.0000000, 0.0000000, 0.1351487),
        "A2": (0.0000000, -0.0181269, 0.1334033),
        "A3": (0.0000000, -0.0371195, 0.1275967),
        "A4": (0.0000000, -0.0531233, 0.1189073),
        "A5": (-0.0267015, -0.0629048, 0.1061413),
        "A6": (-0.0483218, -0.0483218, 0.1061413),
        "A7": (-0.0563378, -0.0563378, 0.0918894),
        "A8": (-0.0521308, -0.0717518, 0.0741937),
        "A9": (-0.0549913, -0.0756890, 0.0566453),
        "A10": (-0.0558056, -0.0768098, 0.0368333),
        "A11": (-0.0544084, -0.0748868, 0.0187784),
        "A12": (-0.0506079, -0.0696557, 0.0000000),
        "A13": (-0.0266061, -0.0818852, 0.0000000),
        "A14": (-0.0286042, -0.0880347, 0.0187784),
        "A15": (-0.0293387, -0.0902953, 0.0368333),
        "A16": (-0.0289106, -0.0889777, 0.0566453),
        "A17": (-0.0274068, -0.0843493, 0.0741937),
        "A18": (-0.0311310, -0.0733400, 0.0918894),
        "A19": (0.0000000, -0.0683373, 0.1061413),
        "A20": (0.0000000, -0.0796737, 0.0918894),
        "A21": (0.0000000, -0.0886901, 0.0741937),
        "A22": (0.0000000, -0.0935567, 0.0566453),
        "A23": (0.0000000, -0.0949421, 0.0368333),
        "A24": (0.0000000, -0.0925652, 0.0187784),
        "A25": (0.0000000, -0.0860992, 0.0000000),
        "A26": (0.0266061, -0.0818852, 0.0000000),
        "A27": (0.0286042, -0.0880347, 0.0187784),
        "A28": (0.0293387, -0.0902953, 0.0368333),
        "A29": (0.0289106, -0.0889777, 0.0566453),
        "A30": (0.0274068, -0.0843493, 0.0741937),
        "A31": (0.0311310, -0.0733400, 0.0918894),
        "A32": (0.0267015, -0.0629048, 0.1061413),
        "B1": (0.0172397, -0.0056015, 0.1334033),
        "B2": (0.0262474, -0.0262474, 0.1275967),
        "B3": (0.0483218, -0.0483218, 0.1061413),
        "B4": (0.0563378, -0.0563378, 0.0918894),
        "B5": (0.0521308, -0.0717518, 0.0741937),
        "B6": (0.0549913, -0.0756890, 0.0566453),
        "B7": (0.0558056, -0.0768098, 0.0368333),
        "B8": (0.0544084, -0.0748868, 0.0187784),
        "B9": (0.0506079, -0.0696557, 0.0000000),
        "B10": (0.0748868, -0.0544084, 0.0187784),
        "B11": (0.0768098, -0.0558056, 0.0368333),
        "B12": (0.0756890, -0.0549913, 0.0566453),
        "B13": (0.0717518, -0.0521308, 0.0741937),
        "B14": (0.0902953, -0.0293387, 0.0368333),
        "B15": (0.0889777, -0.0289106, 0.0566453),
        "B16": (0.0843493, -0.0274068, 0.0741937),
        "B17": (0.0738722, -0.0298463, 0.0918894),
        "B18": (0.0633612, -0.0255996, 0.1061413),
        "B19": (0.0460061, -0.0265617, 0.1189073),
        "B20": (0.0371195, 0.0000000, 0.1275967),
        "B21": (0.0531233, 0.0000000, 0.1189073),
        "B22": (0.0683373, 0.0000000, 0.1061413),
        "B23": (0.0796737, 0.0000000, 0.0918894),
        "B24": (0.0886901, 0.0000000, 0.0741937),
        "B25": (0.0935567, 0.0000000, 0.0566453),
        "B26": (0.0949421, 0.0000000, 0.0368333),
        "B27": (0.0902953, 0.0293387, 0.0368333),
        "B28": (0.0889777, 0.0289106, 0.0566453),
        "B29": (0.0843493, 0.0274068, 0.0741937),
        "B30": (0.0738722, 0.0298463, 0.0918894),
        "B31": (0.0633612, 0.0255996, 0.1061413),
        "B32": (0.0460061, 0.0265617, 0.1189073),
        "C1": (0.0106547, 0.0146649, 0.1334033),
        "C2": (0.0262474, 0.0262474, 0.1275967),
        "C3": (0.0483218, 0.0483218, 0.1061413),
        "C4": (0.0563378, 0.0563378, 0.0918894),
        "C5": (0.0717518, 0.0521308, 0.0741937),
        "C6": (0.0756890, 0.0549913, 0.0566453),
        "C7": (0.0768098, 0.0558056, 0.0368333),
        "C8": (0.0558056, 0.0768098, 0.0368333),
        "C9": (0.0549913, 0.0756890, 0.0566453),
        "C10": (0.0521308, 0.0717518, 0.0741937),
        "C11": (0.0265617, 0.0460061, 0.1189073),
        "C12": (0.0267015, 0.0629048, 0.1061413),
        "C13": (0.0311310, 0.0733400, 0.0918894),
        "C14": (0.0274068, 0.0843493, 0.0741937),
        "C15": (0.0289106, 0.0889777, 0.0566453),
        "C16": (0.0293387, 0.0902953, 0.0368333),
        "C17": (0.0000000, 0.0949421, 0.0368333),
        "C18": (0.0000000, 0.0935567, 0.0566453),
        "C19": (0.0000000, 0.0886901, 0.0741937),
        "C20": (0.0000000, 0.0796737, 0.0918894),
        "C21": (0.0000000, 0.0683373, 0.1061413),
        "C22": (0.0000000, 0.0531233, 0.1189073),
        "C23": (0.0000000, 0.0371195, 0.1275967),
        "C24": (-0.0265617, 0.0460061, 0.1189073),
        "C25": (-0.0267015, 0.0629048, 0.1061413),
        "C26": (-0.0311310, 0.0733400, 0.0918894),
        "C27": (-0.0274068, 0.0843493, 0.0741937),
        "C28": (-0.0289106, 0.0889777, 0.0566453),
        "C29": (-0.0293387, 0.0902953, 0.0368333),
        "C30": (-0.0558056, 0.0768098, 0.0368333),
        "C31": (-0.0549913, 0.0756890, 0.0566453),
        "C32": (-0.0521308, 0.0717518, 0.0741937),
        "D1": (-0.0106547, 0.0146649, 0.1334033),
        "D2": (-0.0262474, 0.0262474, 0.1275967),
        "D3": (-0.0483218, 0.0483218, 0.1061413),
        "D4": (-0.0563378, 0.0563378, 0.0918894),
        "D5": (-0.0717518, 0.0521308, 0.0741937),
        "D6": (-0.0756890, 0.0549913, 0.0566453),
        "D7": (-0.0768098, 0.0558056, 0.0368333),
        "D8": (-0.0902953, 0.0293387, 0.0368333),
        "D9": (-0.0889777, 0.0289106, 0.0566453),
        "D10": (-0.0843493, 0.0274068, 0.0741937),
        "D11": (-0.0738722, 0.0298463, 0.0918894),
        "D12": (-0.0633612, 0.0255996, 0.1061413),
        "D13": (-0.0460061, 0.0265617, 0.1189073),
        "D14": (-0.0371195, 0.0000000, 0.1275967),
        "D15": (-0.0172397, -0.0056015, 0.1334033),
        "D16": (-0.0262474, -0.0262474, 0.1275967),
        "D17": (-0.0460061, -0.0265617, 0.1189073),
        "D18": (-0.0531233, 0.0000000, 0.1189073),
        "D19": (-0.0683373, 0.0000000, 0.1061413),
        "D20": (-0.0796737, 0.0000000, 0.0918894),
        "D21": (-0.0886901, 0.0000000, 0.0741937),
        "D22": (-0.0935567, 0.0000000, 0.0566453),
        "D23": (-0.0949421, 0.0000000, 0.0368333),
        "D24": (-0.0902953, -0.0293387, 0.0368333),
        "D25": (-0.0889777, -0.0289106, 0.0566453),
        "D26": (-0.0843493, -0.0274068, 0.0741937),
        "D27": (-0.0738722, -0.0298463, 0.0918894),
        "D28": (-0.0633612, -0.0255996, 0.1061413),
        "D29": (-0.0717518, -0.0521308, 0.0741937),
        "D30": (-0.0756890, -0.0549913, 0.0566453),
        "D31": (-0.0768098, -0.0558056, 0.0368333),
        "D32": (-0.0748868, -0.0544084, 0.0187784),
    },
    "biosemi160": {
        "A1": (0.0000000, 0.0000000, 0.1351487),
        "A2": (0.0000000, -0.0181269, 0.1334033),
        "A3": (0.0000000, -0.0371195, 0.1275967),
        "A4": (0.0000000, -0.0531233, 0.1189073),
        "A5": (-0.0211174, -0.0649926, 0.1061413),
        "A6": (-0.0401676, -0.0552860, 0.1061413),
        "A7": (-0.0468310, -0.0644574, 0.0918894),
        "A8": (-0.0443451, -0.0768079, 0.0741937),
        "A9": (-0.0467784, -0.0810225, 0.0566453),
        "A10": (-0.0474711, -0.0822223, 0.0368333),
        "A11": (-0.0462826, -0.0801638, 0.0187784),
        "A12": (-0.0430496, -0.0745641, 0.0000000),
        "A13": (-0.0222841, -0.0831655, 0.0000000),
        "A14": (-0.0239576, -0.0894111, 0.0187784),
        "A15": (-0.0245728, -0.0917071, 0.0368333),
        "A16": (-0.0242143, -0.0903689, 0.0566453),
        "A17": (-0.0229547, -0.0856681, 0.0741937),
        "A18": (-0.0246205, -0.0757742, 0.0918894),
        "A19": (0.0000000, -0.0683373, 0.1061413),
        "A20": (0.0000000, -0.0796737, 0.0918894),
        "A21": (0.0000000, -0.0886901, 0.0741937),
        "A22": (0.0000000, -0.0935567, 0.0566453),
        "A23": (0.0000000, -0.0949421, 0.0368333),
        "A24": (0.0000000, -0.0925652, 0.0187784),
        "A25": (0.0000000, -0.0860992, 0.0000000),
        "A26": (0.0222841, -0.0831655, 0.0000000),
        "A27": (0.0239576, -0.0894111, 0.0187784),
        "A28": (0.0245728, -0.0917071, 0.0368333),
        "A29": (0.0242143, -0.0903689, 0.0566453),
        "A30": (0.0229547, -0.0856681, 0.0741937),
        "A31": (0.0246205, -0.0757742, 0.0918894),
        "A32": (0.0211174, -0.0649926, 0.1061413),
        "B1": (0.0172397, -0.0056015, 0.1334033),
        "B2": (0.0185597, -0.0321464, 0.1275967),
        "B3": (0.0401676, -0.0552860, 0.1061413),
        "B4": (0.0468310, -0.0644574, 0.0918894),
        "B5": (0.0443451, -0.0768079, 0.0741937),
        "B6": (0.0467784, -0.0810225, 0.0566453),
        "B7": (0.0474711, -0.0822223, 0.0368333),
        "B8": (0.0462826, -0.0801638, 0.0187784),
        "B9": (0.0430496, -0.0745641, 0.0000000),
        "B10": (0.0608814, -0.0608814, 0.0000000),
        "B11": (0.0654534, -0.0654534, 0.0187784),
        "B12": (0.0671342, -0.0671342, 0.0368333),
        "B13": (0.0661546, -0.0661546, 0.0566453),
        "B14": (0.0627134, -0.0627134, 0.0741937),
        "B15": (0.0768079, -0.0443451, 0.0741937),
        "B16": (0.0810225, -0.0467784, 0.0566453),
        "B17": (0.0822223, -0.0474711, 0.0368333),
        "B18": (0.0801638, -0.0462826, 0.0187784),
        "B19": (0.0917071, -0.0245728, 0.0368333),
        "B20": (0.0903689, -0.0242143, 0.0566453),
        "B21": (0.0856681, -0.0229547, 0.0741937),
        "B22": (0.0644574, -0.0468310, 0.0918894),
        "B23": (0.0552860, -0.0401676, 0.1061413),
        "B24": (0.0375639, -0.0375639, 0.1189073),
        "B25": (0.0321464, -0.0185597, 0.1275967),
        "B26": (0.0492551, -0.0199003, 0.1189073),
        "B27": (0.0649926, -0.0211174, 0.1061413),
        "B28": (0.0757742, -0.0246205, 0.0918894),
        "B29": (0.0796737, 0.0000000, 0.0918894),
        "B30": (0.0886901, 0.0000000, 0.0741937),
        "B31": (0.0935567, 0.0000000, 0.0566453),
        "B32": (0.0949421, 0.0000000, 0.0368333),
        "C1": (0.0106547, 0.0146649, 0.1334033),
        "C2": (0.0321464, 0.0185597, 0.1275967),
        "C3": (0.0371195, 0.0000000, 0.1275967),
        "C4": (0.0531233, 0.0000000, 0.1189073),
        "C5": (0.0492551, 0.0199003, 0.1189073),
        "C6": (0.0649926, 0.0211174, 0.1061413),
        "C7": (0.0683373, 0.0000000, 0.1061413),
        "C8": (0.0757742, 0.0246205, 0.0918894),
        "C9": (0.0856681, 0.0229547, 0.0741937),
        "C10": (0.0903689, 0.0242143, 0.0566453),
        "C11": (0.0917071, 0.0245728, 0.0368333),
        "C12": (0.0822223, 0.0474711, 0.0368333),
        "C13": (0.0810225, 0.0467784, 0.0566453),
        "C14": (0.0768079, 0.0443451, 0.0741937),
        "C15": (0.0627134, 0.0627134, 0.0741937),
        "C16": (0.0661546, 0.0661546, 0.0566453),
        "C17": (0.0671342, 0.0671342, 0.0368333),
        "C18": (0.0474711, 0.0822223, 0.0368333),
        "C19": (0.0467784, 0.0810225, 0.0566453),
        "C20": (0.0443451, 0.0768079, 0.0741937),
        "C21": (0.0468310, 0.0644574, 0.0918894),
        "C22": (0.0644574, 0.0468310, 0.0918894),
        "C23": (0.0552860, 0.0401676, 0.1061413),
        "C24": (0.0375639, 0.0375639, 0.1189073),
        "C25": (0.0185597, 0.0321464, 0.1275967),
        "C26": (0.0207569, 0.0489003, 0.1189073),
        "C27": (0.0401676, 0.0552860, 0.1061413),
        "C28": (0.0211174, 0.0649926, 0.1061413),
        "C29": (0.0246205, 0.0757742, 0.0918894),
        "C30": (0.0229547, 0.0856681, 0.0741937),
        "C31": (0.0242143, 0.0903689, 0.0566453),
        "C32": (0.0245728, 0.0917071, 0.0368333),
        "D1": (-0.0106547, 0.0146649, 0.1334033),
        "D2": (0.0000000, 0.0371195, 0.1275967),
        "D3": (0.0000000, 0.0531233, 0.1189073),
        "D4": (0.0000000, 0.0683373, 0.1061413),
        "D5": (0.0000000, 0.0796737, 0.0918894),
        "D6": (0.0000000, 0.0886901, 0.0741937),
        "D7": (0.0000000, 0.0935567, 0.0566453),
        "D8": (0.0000000, 0.0949421, 0.0368333),
        "D9": (-0.0245728, 0.0917071, 0.0368333),
        "D10": (-0.0242143, 0.0903689, 0.0566453),
        "D11": (-0.0229547, 0.0856681, 0.0741937),
        "D12": (-0.0246205, 0.0757742, 0.0918894),
        "D13": (-0.0211174, 0.0649926, 0.1061413),
        "D14": (-0.0207569, 0.0489003, 0.1189073),
        "D15": (-0.0185597, 0.0321464, 0.1275967),
        "D16": (-0.0321464, 0.0185597, 0.1275967),
        "D17": (-0.0375639, 0.0375639, 0.1189073),
        "D18": (-0.0401676, 0.0552860, 0.1061413),
        "D19": (-0.0468310, 0.0644574, 0.0918894),
        "D20": (-0.0443451, 0.0768079, 0.0741937),
        "D21": (-0.0467784, 0.0810225, 0.0566453),
        "D22": (-0.0474711, 0.0822223, 0.0368333),
        "D23": (-0.0671342, 0.0671342, 0.0368333),
        "D24": (-0.0661546, 0.0661546, 0.0566453),
        "D25": (-0.0627134, 0.0627134, 0.0741937),
        "D26": (-0.0644574, 0.0468310, 0.0918894),
        "D27": (-0.0552860, 0.0401676, 0.1061413),
        "D28": (-0.0492551, 0.0199003, 0.1189073),
        "D29": (-0.0649926, 0.0211174, 0.1061413),
        "D30": (-0.0768079, 0.0443451, 0.0741937),
        "D31": (-0.0810225, 0.0467784, 0.0566453),
        "D32": (-0.0822223, 0.0474711, 0.0368333),
        "E1": (-0.0172397, -0.0056015, 0.1334033),
        "E2": (-0.0371195, 0.0000000, 0.1275967),
        "E3": (-0.0531233, 0.0000000, 0.1189073),
        "E4": (-0.0683373, 0.0000000, 0.1061413),
        "E5": (-0.0757742, 0.0246205, 0.0918894),
        "E6": (-0.0856681, 0.0229547, 0.0741937),
        "E7": (-0.0903689, 0.0242143, 0.0566453),
        "E8": (-0.0917071, 0.0245728, 0.0368333),
        "E9": (-0.0949421, 0.0000000, 0.0368333),
        "E10": (-0.0935567, 0.0000000, 0.0566453),
        "E11": (-0.0886901, 0.0000000, 0.0741937),
        "E12": (-0.0796737, 0.0000000, 0.0918894),
        "E13": (-0.0757742, -0.0246205, 0.0918894),
        "E14": (-0.0856681, -0.0229547, 0.0741937),
        "E15": (-0.0903689, -0.0242143, 0.0566453),
        "E16": (-0.0917071, -0.0245728, 0.0368333),
        "E17": (-0.0801638, -0.0462826, 0.0187784),
        "E18": (-0.0822223, -0.0474711, 0.0368333),
        "E19": (-0.0810225, -0.0467784, 0.0566453),
        "E20": (-0.0768079, -0.0443451, 0.0741937),
        "E21": (-0.0649926, -0.0211174, 0.1061413),
        "E22": (-0.0492551, -0.0199003, 0.1189073),
        "E23": (-0.0321464, -0.0185597, 0.1275967),
        "E24": (-0.0185597, -0.0321464, 0.1275967),
        "E25": (-0.0375639, -0.0375639, 0.1189073),
        "E26": (-0.0552860, -0.0401676, 0.1061413),
        "E27": (-0.0644574, -0.0468310, 0.0918894),
        "E28": (-0.0627134, -0.0627134, 0.0741937),
        "E29": (-0.0661546, -0.0661546, 0.0566453),
        "E30": (-0.0671342, -0.0671342, 0.0368333),
        "E31": (-0.0654534, -0.0654534, 0.0187784),
        "E32": (-0.0608814, -0.0608814, 0.0000000),
    },
    "biosemi256": {
        "A1": (0.0000000, 0.0000000, 0.1351487),
        "A2": (0.0000000, -0.0148613, 0.1339791),
        "A3": (0.0000000, -0.0293566, 0.1304991),
        "A4": (0.0000000, -0.0431291, 0.1247944),
        "A5": (0.0000000, -0.0558396, 0.1170053),
        "A6": (0.0000000, -0.0683373, 0.1061413),
        "A7": (-0.0176870, -0.0660087, 0.1061413),
        "A8": (-0.0201412, -0.0751678, 0.0946385),
        "A9": (-0.0177526, -0.0835196, 0.0817940),
        "A10": (-0.0188886, -0.0888637, 0.0679240),
        "A11": (-0.0195594, -0.0920197, 0.0533702),
        "A12": (-0.0197396, -0.0928674, 0.0368333),
        "A13": (-0.0193887, -0.0912167, 0.0220219),
        "A14": (-0.0185604, -0.0873200, 0.0076568),
        "A15": (-0.0172751, -0.0812732, -0.0059082),
        "A16": (0.0000000, -0.0830889, -0.0059082),
        "A17": (0.0000000, -0.0892708, 0.0076568),
        "A18": (0.0000000, -0.0932546, 0.0220219),
        "A19": (0.0000000, -0.0949421, 0.0368333),
        "A20": (0.0000000, -0.0940755, 0.0533702),
        "A21": (0.0000000, -0.0908490, 0.0679240),
        "A22": (0.0000000, -0.0853854, 0.0817940),
        "A23": (0.0000000, -0.0778194, 0.0946385),
        "A24": (0.0176870, -0.0660087, 0.1061413),
        "A25": (0.0201412, -0.0751678, 0.0946385),
        "A26": (0.0177526, -0.0835196, 0.0817940),
        "A27": (0.0188886, -0.0888637, 0.0679240),
        "A28": (0.0195594, -0.0920197, 0.0533702),
        "A29": (0.0197396, -0.0928674, 0.0368333),
        "A30": (0.0193887, -0.0912167, 0.0220219),
        "A31": (0.0185604, -0.0873200, 0.0076568),
        "A32": (0.0172751, -0.0812732, -0.0059082),
        "B1": (0.0172554, -0.0237500, 0.1304991),
        "B2": (0.0175422, -0.0394004, 0.1247944),
        "B3": (0.0328217, -0.0451752, 0.1170053),
        "B4": (0.0341686, -0.0591818, 0.1061413),
        "B5": (0.0389097, -0.0673936, 0.0946385),
        "B6": (0.0347294, -0.0780035, 0.0817940),
        "B7": (0.0369516, -0.0829946, 0.0679240),
        "B8": (0.0367582, -0.0865969, 0.0533702),
        "B9": (0.0370968, -0.0873947, 0.0368333),
        "B10": (0.0364375, -0.0858413, 0.0220219),
        "B11": (0.0363097, -0.0815529, 0.0076568),
        "B12": (0.0337953, -0.0759055, -0.0059082),
        "B13": (0.0524721, -0.0722216, 0.0076568),
        "B14": (0.0521473, -0.0773116, 0.0220219),
        "B15": (0.0530910, -0.0787106, 0.0368333),
        "B16": (0.0526063, -0.0779921, 0.0533702),
        "B17": (0.0533997, -0.0734983, 0.0679240),
        "B18": (0.0501883, -0.0690783, 0.0817940),
        "B19": (0.0550267, -0.0550267, 0.0946385),
        "B20": (0.0483218, -0.0483218, 0.1061413),
        "B21": (0.0320512, -0.0288590, 0.1247944),
        "B22": (0.0451752, -0.0328217, 0.1170053),
        "B23": (0.0591818, -0.0341686, 0.1061413),
        "B24": (0.0673936, -0.0389097, 0.0946385),
        "B25": (0.0634537, -0.0571340, 0.0817940),
        "B26": (0.0675139, -0.0607898, 0.0679240),
        "B27": (0.0665214, -0.0665214, 0.0533702),
        "B28": (0.0671342, -0.0671342, 0.0368333),
        "B29": (0.0659409, -0.0659409, 0.0220219),
        "B30": (0.0663411, -0.0597338, 0.0076568),
        "B31": (0.0773108, -0.0446354, 0.0076568),
        "B32": (0.0782099, -0.0507901, 0.0220219),
        "C1": (0.0141339, -0.0045924, 0.1339791),
        "C2": (0.0279198, -0.0090717, 0.1304991),
        "C3": (0.0410182, -0.0133276, 0.1247944),
        "C4": (0.0531066, -0.0172554, 0.1170053),
        "C5": (0.0660087, -0.0176870, 0.1061413),
        "C6": (0.0751678, -0.0201412, 0.0946385),
        "C7": (0.0812064, -0.0263856, 0.0817940),
        "C8": (0.0739460, -0.0426927, 0.0817940),
        "C9": (0.0786775, -0.0454245, 0.0679240),
        "C10": (0.0788983, -0.0512372, 0.0533702),
        "C11": (0.0796252, -0.0517092, 0.0368333),
        "C12": (0.0864641, -0.0349338, 0.0220219),
        "C13": (0.0880288, -0.0355659, 0.0368333),
        "C14": (0.0872253, -0.0352413, 0.0533702),
        "C15": (0.0864025, -0.0280739, 0.0679240),
        "C16": (0.0923470, -0.0179504, 0.0533702),
        "C17": (0.0931978, -0.0181158, 0.0368333),
        "C18": (0.0949421, 0.0000000, 0.0368333),
        "C19": (0.0940755, 0.0000000, 0.0533702),
        "C20": (0.0903513, -0.0094963, 0.0679240),
        "C21": (0.0849177, -0.0089252, 0.0817940),
        "C22": (0.0778194, 0.0000000, 0.0946385),
        "C23": (0.0683373, 0.0000000, 0.1061413),
        "C24": (0.0558396, 0.0000000, 0.1170053),
        "C25": (0.0428928, 0.0045082, 0.1247944),
        "C26": (0.0531066, 0.0172554, 0.1170053),
        "C27": (0.0660087, 0.0176870, 0.1061413),
        "C28": (0.0751678, 0.0201412, 0.0946385),
        "C29": (0.0849177, 0.0089252, 0.0817940),
        "C30": (0.0903513, 0.0094963, 0.0679240),
        "C31": (0.0923470, 0.0179504, 0.0533702),
        "C32": (0.0931978, 0.0181158, 0.0368333),
        "D1": (0.0087352, 0.0120230, 0.1339791),
        "D2": (0.0279198, 0.0090717, 0.1304991),
        "D3": (0.0373509, 0.0215645, 0.1247944),
        "D4": (0.0451752, 0.0328217, 0.1170053),
        "D5": (0.0591818, 0.0341686, 0.1061413),
        "D6": (0.0812064, 0.0263856, 0.0817940),
        "D7": (0.0864025, 0.0280739, 0.0679240),
        "D8": (0.0872253, 0.0352413, 0.0533702),
        "D9": (0.0880288, 0.0355659, 0.0368333),
        "D10": (0.0864641, 0.0349338, 0.0220219),
        "D11": (0.0782099, 0.0507901, 0.0220219),
        "D12": (0.0796252, 0.0517092, 0.0368333),
        "D13": (0.0788983, 0.0512372, 0.0533702),
        "D14": (0.0786775, 0.0454245, 0.0679240),
        "D15": (0.0739460, 0.0426927, 0.0817940),
        "D16": (0.0673936, 0.0389097, 0.0946385),
        "D17": (0.0483218, 0.0483218, 0.1061413),
        "D18": (0.0550267, 0.0550267, 0.0946385),
        "D19": (0.0634537, 0.0571340, 0.0817940),
        "D20": (0.0675139, 0.0607898, 0.0679240),
        "D21": (0.0665214, 0.0665214, 0.0533702),
        "D22": (0.0671342, 0.0671342, 0.0368333),
        "D23": (0.0659409, 0.0659409, 0.0220219),
        "D24": (0.0530910, 0.0787106, 0.0368333),
        "D25": (0.0526063, 0.0779921, 0.0533702),
        "D26": (0.0533997, 0.0734983, 0.0679240),
        "D27": (0.0501883, 0.0690783, 0.0817940),
        "D28": (0.0389097, 0.0673936, 0.0946385),
        "D29": (0.0347294, 0.0780035, 0.0817940),
        "D30": (0.0369516, 0.0829946, 0.0679240),
        "D31": (0.0367582, 0.0865969, 0.0533702),
        "D32": (0.0370968, 0.0873947, 0.0368333),
        "E1": (0.0000000, 0.0293566, 0.1304991),
        "E2": (0.0172554, 0.0237500, 0.1304991),
        "E3": (0.0253506, 0.0348922, 0.1247944),
        "E4": (0.0328217, 0.0451752, 0.1170053),
        "E5": (0.0341686, 0.0591818, 0.1061413),
        "E6": (0.0176870, 0.0660087, 0.1061413),
        "E7": (0.0201412, 0.0751678, 0.0946385),
        "E8": (0.0177526, 0.0835196, 0.0817940),
        "E9": (0.0188886, 0.0888637, 0.0679240),
        "E10": (0.0195594, 0.0920197, 0.0533702),
        "E11": (0.0197396, 0.0928674, 0.0368333),
        "E12": (0.0000000, 0.0949421, 0.0368333),
        "E13": (0.0000000, 0.0940755, 0.0533702),
        "E14": (0.0000000, 0.0908490, 0.0679240),
        "E15": (0.0000000, 0.0853854, 0.0817940),
        "E16": (0.0000000, 0.0778194, 0.0946385),
        "E17": (0.0000000, 0.0683373, 0.1061413),
        "E18": (0.0000000, 0.0558396, 0.1170053),
        "E19": (0.0172554, 0.0531066, 0.1170053),
        "E20": (0.0089670, 0.0421866, 0.1247944),
        "E21": (-0.0089670, 0.0421866, 0.1247944),
        "E22": (-0.0172554, 0.0531066, 0.1170053),
        "E23": (-0.0176870, 0.0660087, 0.1061413),
        "E24": (-0.0201412, 0.0751678, 0.0946385),
        "E25": (-0.0177526, 0.0835196, 0.0817940),
        "E26": (-0.0188886, 0.0888637, 0.0679240),
        "E27": (-0.0195594, 0.0920197, 0.0533702),
        "E28": (-0.0197396, 0.0928674, 0.0368333),
        "E29": (-0.0370968, 0.0873947, 0.0368333),
        "E30": (-0.0367582, 0.0865969, 0.0533702),
        "E31": (-0.0369516, 0.0829946, 0.0679240),
        "E32": (-0.0347294, 0.0780035, 0.0817940),
        "F1": (-0.0087352, 0.0120230, 0.1339791),
        "F2": (-0.0172554, 0.0237500, 0.1304991),
        "F3": (-0.0253506, 0.0348922, 0.1247944),
        "F4": (-0.0328217, 0.0451752, 0.1170053),
        "F5": (-0.0341686, 0.0591818, 0.1061413),
        "F6": (-0.0389097, 0.0673936, 0.0946385),
        "F7": (-0.0501883, 0.0690783, 0.0817940),
        "F8": (-0.0533997, 0.0734983, 0.0679240),
        "F9": (-0.0526063, 0.0779921, 0.0533702),
        "F10": (-0.0530910, 0.0787106, 0.0368333),
        "F11": (-0.0659409, 0.0659409, 0.0220219),
        "F12": (-0.0671342, 0.0671342, 0.0368333),
        "F13": (-0.0665214, 0.0665214, 0.0533702),
        "F14": (-0.0675139, 0.0607898, 0.0679240),
        "F15": (-0.0634537, 0.0571340, 0.0817940),
        "F16": (-0.0550267, 0.0550267, 0.0946385),
        "F17": (-0.0483218, 0.0483218, 0.1061413),
        "F18": (-0.0451752, 0.0328217, 0.1170053),
        "F19": (-0.0373509, 0.0215645, 0.1247944),
        "F20": (-0.0279198, 0.0090717, 0.1304991),
        "F21": (-0.0428928, 0.0045082, 0.1247944),
        "F22": (-0.0531066, 0.0172554, 0.1170053),
        "F23": (-0.0591818, 0.0341686, 0.1061413),
        "F24": (-0.0673936, 0.0389097, 0.0946385),
        "F25": (-0.0739460, 0.0426927, 0.0817940),
        "F26": (-0.0786775, 0.0454245, 0.0679240),
        "F27": (-0.0788983, 0.0512372, 0.0533702),
        "F28": (-0.0796252, 0.0517092, 0.0368333),
        "F29": (-0.0782099, 0.0507901, 0.0220219),
        "F30": (-0.0864641, 0.0349338, 0.0220219),
        "F31": (-0.0880288, 0.0355659, 0.0368333),
        "F32": (-0.0872253, 0.0352413, 0.0533702),
        "G1": (-0.0141339, -0.0045924, 0.1339791),
        "G2": (-0.0279198, -0.0090717, 0.1304991),
        "G3": (-0.0410182, -0.0133276, 0.1247944),
        "G4": (-0.0558396, 0.0000000, 0.1170053),
        "G5": (-0.0660087, 0.0176870, 0.1061413),
        "G6": (-0.0751678, 0.0201412, 0.0946385),
        "G7": (-0.0812064, 0.0263856, 0.0817940),
        "G8": (-0.0864025, 0.0280739, 0.0679240),
        "G9": (-0.0923470, 0.0179504, 0.0533702),
        "G10": (-0.0931978, 0.0181158, 0.0368333),
        "G11": (-0.0949421, 0.0000000, 0.0368333),
        "G12": (-0.0940755, 0.0000000, 0.0533702),
        "G13": (-0.0903513, 0.0094963, 0.0679240),
        "G14": (-0.0849177, 0.0089252, 0.0817940),
        "G15": (-0.0778194, 0.0000000, 0.0946385),
        "G16": (-0.0683373, 0.0000000, 0.1061413),
        "G17": (-0.0751678, -0.0201412, 0.0946385),
        "G18": (-0.0849177, -0.0089252, 0.0817940),
        "G19": (-0.0903513, -0.0094963, 0.0679240),
        "G20": (-0.0923470, -0.0179504, 0.0533702),
        "G21": (-0.0931978, -0.0181158, 0.0368333),
        "G22": (-0.0864641, -0.0349338, 0.0220219),
        "G23": (-0.0880288, -0.0355659, 0.0368333),
        "G24": (-0.0872253, -0.0352413, 0.0533702),
        "G25": (-0.0864025, -0.0280739, 0.0679240),
        "G26": (-0.0812064, -0.0263856, 0.0817940),
        "G27": (-0.0739460, -0.0426927, 0.0817940),
        "G28": (-0.0786775, -0.0454245, 0.0679240),
        "G29": (-0.0788983, -0.0512372, 0.0533702),
        "G30": (-0.0796252, -0.0517092, 0.0368333),
        "G31": (-0.0782099, -0.0507901, 0.0220219),
        "G32": (-0.0773108, -0.0446354, 0.0076568),
        "H1": (-0.0172554, -0.0237500, 0.1304991),
        "H2": (-0.0320512, -0.0288590, 0.1247944),
        "H3": (-0.0451752, -0.0328217, 0.1170053),
        "H4": (-0.0531066, -0.0172554, 0.1170053),
        "H5": (-0.0660087, -0.0176870, 0.1061413),
        "H6": (-0.0591818, -0.0341686, 0.1061413),
        "H7": (-0.0673936, -0.0389097, 0.0946385),
        "H8": (-0.0634537, -0.0571340, 0.0817940),
        "H9": (-0.0675139, -0.0607898, 0.0679240),
        "H10": (-0.0665214, -0.0665214, 0.0533702),
        "H11": (-0.0671342, -0.0671342, 0.0368333),
        "H12": (-0.0659409, -0.0659409, 0.0220219),
        "H13": (-0.0663411, -0.0597338, 0.0076568),
        "H14": (-0.0524721, -0.0722216, 0.0076568),
        "H15": (-0.0521473, -0.0773116, 0.0220219),
        "H16": (-0.0530910, -0.0787106, 0.0368333),
        "H17": (-0.0526063, -0.0779921, 0.0533702),
        "H18": (-0.0533997, -0.0734983, 0.0679240),
        "H19": (-0.0501883, -0.0690783, 0.0817940),
        "H20": (-0.0550267, -0.0550267, 0.0946385),
        "H21": (-0.0483218, -0.0483218, 0.1061413),
        "H22": (-0.0328217, -0.0451752, 0.1170053),
        "H23": (-0.0175422, -0.0394004, 0.1247944),
        "H24": (-0.0341686, -0.0591818, 0.1061413),
        "H25": (-0.0389097, -0.0673936, 0.0946385),
        "H26": (-0.0347294, -0.0780035, 0.0817940),
        "H27": (-0.0369516, -0.0829946, 0.0679240),
        "H28": (-0.0367582, -0.0865969, 0.0533702),
        "H29": (-0.0370968, -0.0873947, 0.0368333),
        "H30": (-0.0364375, -0.0858413, 0.0220219),
        "H31": (-0.0363097, -0.0815529, 0.0076568),
        "H32": (-0.0337953, -0.0759055, -0.0059082),
    },
}
# END GENERATED TABLES
