"""Run under `torchrun --nproc_per_node 2`: `mmcl.train` on the text recipe argv[2] under DDP. Writes rank{N}.json
into argv[1]: the text ids of the anchors each step trained on; rank 0 adds which parameters the saved model
changed, and which the encoder froze as unused."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
from sentence_transformers import SentenceTransformer

from mmcl.adapters.text.text_info_nce import TextInfoNCE
from mmcl.adapters.text.text_views import TEXT_IDS
from mmcl.methods import register_method
from mmcl.recipe import load_recipe
from mmcl.train import train

anchor_ids: list[list[int]] = []


class RecordingTextInfoNCE(TextInfoNCE):
    def forward(self, view_a, view_b):
        anchor_ids.append(view_a[TEXT_IDS].tolist())
        return super().forward(view_a, view_b)


def main(out_dir: Path, recipe_file: Path) -> None:
    register_method("text-infonce-recording", RecordingTextInfoNCE)
    recipe = load_recipe(recipe_file, output_dir=out_dir / "run")
    folder = train(recipe)
    rank = int(os.environ["RANK"])  # the process group is gone once training ends
    result: dict = {"rank": rank, "anchor_ids": anchor_ids}
    if rank == 0:
        base = recipe.adapter.build().build_encoder()[0].model
        trained = dict(SentenceTransformer(str(folder), device="cpu").named_parameters())
        result["frozen"] = sorted(name for name, p in base.named_parameters() if not p.requires_grad)
        result["changed"] = sorted(
            name for name, p in base.named_parameters() if not torch.equal(p, trained[name])
        )
        result["trainable"] = sorted(name for name, p in base.named_parameters() if p.requires_grad)
    (out_dir / f"rank{rank}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
