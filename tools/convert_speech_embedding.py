"""Converts Google's speech embedding (ONNX, from the openWakeWord 0.4.0 wheel) to NumPy weights.

`zoo.layers.SpeechEmbedding` reads `zoo/layers/speech_embedding.npz`, which this script writes.
The model is Google's `speech_embedding` (TF Hub, Apache-2.0; Lin et al. 2020, "Training keyword
spotters with limited and synthesized speech data", arXiv:2002.01322), trained on about 200
million clips of speech; openWakeWord ships it, with its log-mel front end, as two ONNX files.
Only the weights are taken; the layer re-implements both graphs in `keras.ops` (the test
`tests/test_speech_embedding.py` checks the result against ONNX Runtime when it is installed).

Usage (needs `pip install onnx`; the wheel from PyPI, no other download)::

    pip download --no-deps openwakeword==0.4.0 -d /tmp/oww
    python tools/convert_speech_embedding.py /tmp/oww/openwakeword-0.4.0-py3-none-any.whl
"""

import argparse
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

MODELS = "openwakeword/resources/models/"
OUT = Path(__file__).resolve().parents[1] / "zoo" / "layers" / "speech_embedding.npz"


def _arrays(model):
    from onnx import numpy_helper

    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


def convert(wheel):
    """The weights of the wheel's `melspectrogram.onnx` and `embedding_model.onnx` as a dict."""
    import onnx

    with zipfile.ZipFile(wheel) as z:
        mel_bytes = z.read(MODELS + "melspectrogram.onnx")
        emb_bytes = z.read(MODELS + "embedding_model.onnx")
    mel, emb = onnx.load(io.BytesIO(mel_bytes)), onnx.load(io.BytesIO(emb_bytes))
    out = {"mel_filters": _arrays(mel)["1.melW"].astype("float32")}  # (257, 32), 16 kHz bins
    init = _arrays(emb)
    convs = [n for n in emb.graph.node if n.op_type == "Conv"]
    for i, node in enumerate(convs):
        kernel = init[node.input[1]]  # (out, in, time, freq) -> (time, freq, in, out)
        out[f"kernel_{i}"] = np.transpose(kernel, (2, 3, 1, 0)).astype("float32")
        if len(node.input) > 2:
            out[f"bias_{i}"] = init[node.input[2]].astype("float32")
    (bn,) = [n for n in emb.graph.node if n.op_type == "BatchNormalization"]
    gamma, beta, mean, var = (init[name] for name in bn.input[1:])
    eps = next(a.f for a in bn.attribute if a.name == "epsilon")
    scale = gamma / np.sqrt(var + eps)
    out["bn_scale"], out["bn_offset"] = (
        scale.astype("float32"),
        (beta - mean * scale).astype("float32"),
    )
    out["source_sha256"] = np.array(
        [hashlib.sha256(mel_bytes).hexdigest(), hashlib.sha256(emb_bytes).hexdigest()]
    )
    return out


def main(argv=None):
    """Writes the converted weights (`--output`) from the wheel named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", help="openwakeword-0.4.0-py3-none-any.whl")
    parser.add_argument("--output", default=str(OUT))
    args = parser.parse_args(argv)
    if not Path(args.wheel).is_file():
        sys.exit(f"wheel: no such file: {args.wheel!r}")
    weights = convert(args.wheel)
    np.savez_compressed(args.output, **weights)
    print(f"wrote {args.output}: {len(weights)} arrays")


if __name__ == "__main__":
    main()
