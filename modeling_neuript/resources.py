"""The files that ship inside the package: model presets and training recipes (`configuration/` of the checkout,
installed as `modeling_neuript.configuration`) and dataset recipes (`processing/`, installed as
`modeling_neuript.processing`). They are read with `importlib.resources`, so an installed wheel finds them wherever
it runs; nothing here reads the source checkout.

    preset_path("neuript-tiny")            # configuration/neuript-tiny.json
    recipe_path("face13")                  # processing/face13.yaml
    resource_path("configuration", "accelerate/cpu.yaml")

From a shell, `python -m modeling_neuript.resources configuration/accelerate/cpu-ddp.yaml` prints where that file is
installed (for `accelerate launch --config_file ...`); without an argument it lists what ships.
"""

import os
import sys
from importlib import resources
from pathlib import Path

FOLDERS = ("configuration", "processing")


def resource_folder(folder: str) -> Path:
    """The installed folder `configuration` or `processing` (a real directory: the package is never zipped)."""
    if folder not in FOLDERS:
        raise ValueError(f"Unknown resource folder {folder!r}; the package ships {FOLDERS}.")
    return Path(os.fspath(resources.files(f"modeling_neuript.{folder}").joinpath("")))


def resource_path(folder: str, relative: str) -> Path:
    """`<folder>/<relative>` inside the installed package; a `ValueError` listing what exists when it does not."""
    path = resource_folder(folder) / relative
    if not path.is_file():
        parent = path.parent
        available = sorted(p.name for p in parent.iterdir() if p.is_file()) if parent.is_dir() else []
        raise ValueError(f"The package has no {folder}/{relative}; {parent.name}/ holds {available}.")
    return path


def list_resources(folder: str, pattern: str) -> list[str]:
    """Stems of the files matching `pattern` (a glob relative to the folder), sorted."""
    return sorted(p.stem for p in resource_folder(folder).glob(pattern))


def preset_names() -> list[str]:
    """The model presets (`neuript-tiny`, `neuript-small`, `neuript-paper`, `neuript-fast`)."""
    return list_resources("configuration", "neuript-*.json")


def preset_path(name: str) -> Path:
    """`configuration/<name>.json`, e.g. `preset_path("neuript-paper")`."""
    if name not in preset_names():
        raise ValueError(f"Unknown preset {name!r}; presets: {preset_names()}.")
    return resource_path("configuration", f"{name}.json")


def recipe_names() -> list[str]:
    """The dataset recipes of `neuript prepare` at the top of `processing/` (`face13`, `eegmmidb`, ...)."""
    return list_resources("processing", "*.yaml")


def recipe_path(name: str) -> Path:
    """`processing/<name>.yaml`, or `processing/<name>` for a path inside it (`downstream/tuev.yaml`)."""
    relative = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    if not (resource_folder("processing") / relative).is_file():
        raise ValueError(f"No recipe {name!r}: give a YAML path or one of {recipe_names()}.")
    return resource_path("processing", relative)


def main(argv=None) -> int:
    """`python -m modeling_neuript.resources [FOLDER/RELATIVE]`: print the installed path, or list every file."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        for folder in FOLDERS:
            root = resource_folder(folder)
            for path in sorted(root.rglob("*")):
                if path.is_file() and path.suffix in (".json", ".yaml", ".yml", ".md"):
                    print(f"{folder}/{path.relative_to(root)}")
        return 0
    folder, _, relative = argv[0].partition("/")
    try:
        print(resource_path(folder, relative))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
