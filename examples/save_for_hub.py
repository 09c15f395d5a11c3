"""Turn a fine-tuned NeurIPT checkpoint into a Hugging Face Hub repository: weights, feature extractor, remote code,
pipelines and a generated model card — written offline, uploaded only with --push.

    python examples/save_for_hub.py --model runs/face-house/model --output hub/face-house \\
        [--metrics runs/face-house/metrics.json] [--license mit] [--push my-lab/neuript-face-house]

The metrics table of the card comes from --metrics, or from the checkpoint's evaluation.json (`neuript finetune`
writes both). Prints the files written and the card's metadata header.
"""

import argparse
from pathlib import Path


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="Folder of a fine-tuned NeurIPT checkpoint.")
    parser.add_argument("--output", required=True, help="Folder to write the repository into (replaced).")
    parser.add_argument("--metrics", help="metrics.json of the evaluation (default: the checkpoint's evaluation.json).")
    parser.add_argument("--dataset", nargs="*", default=None, help="Hub dataset ids the model was trained on.")
    parser.add_argument("--license", default="mit")
    parser.add_argument("--base_model", help="Hub id of the pretrained checkpoint it was fine-tuned from.")
    parser.add_argument("--repo_id", help="Hub id used in the card's snippets (default: --push, if given).")
    parser.add_argument("--push", metavar="REPO_ID", help="Also upload to this Hub repository (needs a token).")
    args = parser.parse_args(argv)

    from transformers import AutoFeatureExtractor, AutoModelForSequenceClassification

    from modeling_neuript.interop.hub import push_to_hub, save_for_hub

    model = AutoModelForSequenceClassification.from_pretrained(args.model)
    extractor = AutoFeatureExtractor.from_pretrained(args.model)
    options = dict(metrics=args.metrics, datasets=args.dataset, license=args.license, base_model=args.base_model)
    folder = save_for_hub(model, extractor, args.output, repo_id=args.repo_id or args.push, **options)
    for path in sorted(folder.iterdir()):
        print(f"{path.stat().st_size:>10,d}  {path.name}")
    print((folder / "README.md").read_text().split("\n---\n")[0])
    if args.push:
        commit = push_to_hub(model, extractor, args.push, **options)
        print(f"uploaded: {commit}")
    return folder


if __name__ == "__main__":
    main()
