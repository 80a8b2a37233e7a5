"""Writes the import fixtures from timirec-tiny.safetensors (documentation; the tests only
read the committed outputs, they never run this script).

timirec-tiny.safetensors holds the reference PyTorch code's weights under the prefixes
`pretrain.weight.`, `finetune_L1.weight.` and `finetune_L2.weight.`. This script saves each
stage's weights under their plain state_dict names, as
`safetensors.torch.save_file(model.state_dict(), FILE)` would, using the real `safetensors`
library (numpy front end, so PyTorch is not needed):

  tiny-pretrain.safetensors       pretrain (ComiRec+), F32
  tiny-finetune-L1.safetensors    finetune, n_layers 1, F32
  tiny-finetune-L2.safetensors    finetune, n_layers 2, F32
  tiny-finetune-L1-bf16.safetensors  tiny-finetune-L1 with every tensor rounded to BF16
                                     (round to nearest, ties to even)

numpy has no bfloat16 type, so the BF16 file is written with safetensors' own serializer from
raw little-endian 16-bit words (the top half of each float32 after rounding).

Run from this folder:  pip install safetensors numpy && python3 make_plain_fixtures.py
(written with safetensors 0.8.0 and numpy; `TensorSpec` needs safetensors ≥ 0.6)
"""
import numpy as np
from safetensors import TensorSpec, serialize_file
from safetensors.numpy import load_file, save_file

SOURCE = "timirec-tiny.safetensors"
STAGES = {"pretrain": "tiny-pretrain", "finetune_L1": "tiny-finetune-L1", "finetune_L2": "tiny-finetune-L2"}


def plain(tensors, stage):
    prefix = stage + ".weight."
    return {name[len(prefix):]: np.ascontiguousarray(value, dtype=np.float32)
            for name, value in tensors.items() if name.startswith(prefix)}


def bf16_words(values):
    """float32 array -> uint16 array of BF16 bit patterns, round to nearest even."""
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = bits + 0x7FFF + ((bits >> 16) & 1)
    return (rounded >> 16).astype(np.uint16)


def save_bf16(tensors, path):
    """Writes BF16 tensors with safetensors' serializer (TensorSpec: dtype, shape, data pointer)."""
    words = {name: np.ascontiguousarray(bf16_words(value).astype("<u2")) for name, value in tensors.items()}
    specs = {name: TensorSpec(dtype="bfloat16", shape=list(w.shape), data_ptr=w.ctypes.data, data_len=w.nbytes)
             for name, w in words.items()}
    serialize_file(specs, path, metadata={"format": "pt"})  # `words` stays alive until here


def main():
    tensors = load_file(SOURCE)
    for stage, name in STAGES.items():
        weights = plain(tensors, stage)
        save_file(weights, name + ".safetensors", metadata={"format": "pt"})
        print(name, len(weights), "tensors")
    save_bf16(plain(tensors, "finetune_L1"), "tiny-finetune-L1-bf16.safetensors")
    print("tiny-finetune-L1-bf16 written")


if __name__ == "__main__":
    main()
