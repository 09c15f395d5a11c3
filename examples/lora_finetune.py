"""Parameter-efficient fine-tuning: LoRA adapters (peft) on NeurIPT's attention and expert projections.

    python examples/lora_finetune.py --file rec.edf --events face-upright=face house-upright=house \
        --channels A15 A28 B7 B26 --window 1.0 --tmin -0.2 --model runs/pt/model --rank 8 --output runs/lora

The pretrained weights stay frozen; only the rank-`r` adapters (`modeling_neuript.interop.lora` lists where they go) and the
new classification head train. At the end the adapters are merged into the weights (`merge_and_unload`): the result
is a plain `NeurIPTForSequenceClassification`, saved with its feature extractor, that predicts what the adapter model
predicts and runs at the base model's speed.
"""

import argparse


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", required=True, help="A recording mne can read, with annotations.")
    parser.add_argument("--events", nargs="+", required=True, help="annotation=label pairs.")
    parser.add_argument("--channels", nargs="*")
    parser.add_argument("--window", type=float, default=1.0)
    parser.add_argument("--tmin", type=float, default=0.0)
    parser.add_argument("--model", default="neuript-tiny", help="Pretrained NeurIPT checkpoint folder (or a preset).")
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-trials", type=int, default=None)
    parser.add_argument("--output", default=None, help="Folder for the merged checkpoint.")
    args = parser.parse_args(argv)

    import mne
    import numpy as np
    import torch
    from sklearn.metrics import balanced_accuracy_score

    from modeling_neuript import NeurIPTFeatureExtractor
    from modeling_neuript.data.event_windows import event_windows
    from modeling_neuript.interop.lora import add_lora
    from modeling_neuript.training.factory import build_classifier

    raw = mne.io.read_raw(args.file, preload=False, verbose="error")
    if args.channels:
        raw.pick(args.channels)
    raw.load_data(verbose="error")
    extractor = NeurIPTFeatureExtractor(window_seconds=args.window)  # saved with the model: the windows it learns
    windows = event_windows(raw, dict(item.split("=", 1) for item in args.events), tmin=args.tmin,
                            window_seconds=args.window, extractor=extractor)
    values = torch.as_tensor(windows["input_values"][: args.max_trials])
    labels = torch.as_tensor(windows["labels"][: args.max_trials])
    positions = torch.as_tensor(windows["channel_positions"])
    cut = int(0.8 * len(values))  # time-ordered: the first 80 % of the trials train

    names = windows["label_names"]
    torch.manual_seed(0)
    # build_classifier records the extractor's rate and window length in the config (what the classifier learns on)
    model = add_lora(build_classifier(args.model, len(names), dict(enumerate(names)), extractor=extractor), r=args.rank)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    print(f"trainable parameters: {trainable:,} of {total:,} ({100 * trainable / total:.1f} %)")
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(cut)
        losses = []
        for start in range(0, cut, args.batch_size):
            batch = order[start : start + args.batch_size]
            loss = model(input_values=values[batch], channel_positions=positions, labels=labels[batch]).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        print(f"epoch {epoch + 1}: training loss {np.mean(losses):.4f}")

    model.eval()
    with torch.no_grad():
        adapter_logits = model(input_values=values[cut:], channel_positions=positions).logits
        merged = model.merge_and_unload()
        merged_logits = merged(input_values=values[cut:], channel_positions=positions).logits
    difference = float((merged_logits - adapter_logits).abs().max())
    score = balanced_accuracy_score(labels[cut:].numpy(), merged_logits.argmax(-1).numpy())
    print(f"test balanced accuracy {score:.3f} on {len(values) - cut} trials; merged vs adapter logits: max |Δ| "
          f"{difference:.2e}")
    if args.output:
        from modeling_neuript.training.checkpoints import save_checkpoint

        save_checkpoint(merged, extractor, args.output)
        print(f"saved the merged classifier to {args.output}")
    return {"balanced_accuracy": score, "max_logit_difference": difference, "trainable": trainable, "total": total,
            "merged": merged}


if __name__ == "__main__":
    main()
