#!/usr/bin/env python3
"""keras.applications against kerascpp's keras::applications.

Without arguments (in tf.keras 2.15, whose save_weights layout is that of Keras' published
ImageNet files) it writes tests/fixtures/keras_applications/keras_applications.json: for each
architecture and argument set, Keras' parameter count, output shape, and every layer (model.layers
order, InputLayers aside) with its weights' names and shapes in the legacy trainable-first order.
That is everything a weights file is matched by; tests/applications/applications_test.cpp checks
ours against it. Under either Keras it also writes a small MobileNet weights file with its inputs
and outputs (mobilenet_0.25_notop_k2.h5 / _k3.weights.h5), which CI loads and checks to 1e-4.

With `--compare BIN` it also checks numbers, for architectures too big to commit a weights file of:
for each entry it builds Keras' model with random weights (BatchNormalization statistics too),
writes them with save_weights (tf.keras 2.15: the legacy .h5 of the published files; Keras 3: the
.weights.h5 layout), runs BIN (tests/applications/application_outputs.cpp) to load them into ours
and predict a random batch, and prints the largest difference from Keras' own predictions.
  python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install "tensorflow-cpu==2.15.*"
  /tmp/tfenv/bin/python tools/make_application_fixtures.py
  /tmp/tfenv/bin/python tools/make_application_fixtures.py --compare build/tests/application_outputs
  python3 -m venv /tmp/kenv && /tmp/kenv/bin/pip install "keras>=3" "jax[cpu]" h5py
  /tmp/kenv/bin/python tools/make_application_fixtures.py --compare build/tests/application_outputs
With `--flops` it prints each entry's parameters and forward FLOPs per image (docs/models.md)."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
try:
    import keras
    VERSION = keras.__version__
except ImportError:
    VERSION = ""
KERAS3 = VERSION.startswith("3")
if not KERAS3:
    import tensorflow as tf
    keras = tf.keras
    VERSION = "tf.keras " + tf.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "..", "tests", "fixtures", "keras_applications")

# (our name, Keras constructor, arguments, input batch for --compare)
ENTRIES = [
    ("xception", "Xception", {"include_top": False, "input_shape": [71, 71, 3]}, 2),
    ("resnet", "ResNet50", {"include_top": False, "input_shape": [64, 64, 3]}, 2),
    ("resnet", "ResNet50", {"include_top": True, "input_shape": [32, 32, 3], "classes": 10}, 2),
    ("resnet", "ResNet50", {"include_top": True}, 0),
    ("mobilenet", "MobileNet", {"include_top": False, "input_shape": [64, 64, 3], "alpha": 0.25}, 2),
    ("mobilenet", "MobileNet", {"include_top": True, "input_shape": [128, 128, 3], "alpha": 0.5, "classes": 10}, 2),
    ("mobilenet", "MobileNet", {"include_top": True}, 0),
    ("mobilenet_v2", "MobileNetV2", {"include_top": False, "input_shape": [96, 96, 3], "alpha": 0.35}, 2),
    ("mobilenet_v2", "MobileNetV2", {"include_top": True, "input_shape": [33, 47, 3], "alpha": 1.4, "classes": 10}, 2),
    ("mobilenet_v2", "MobileNetV2", {"include_top": True}, 0),
    ("densenet", "DenseNet121", {"include_top": False, "input_shape": [64, 64, 3]}, 2),
    ("densenet", "DenseNet121", {"include_top": True, "input_shape": [32, 32, 3], "classes": 10}, 2),
    ("nasnet", "NASNetMobile", {"include_top": False, "input_shape": [64, 64, 3]}, 2),
    ("nasnet", "NASNetMobile", {"include_top": True, "input_shape": [33, 35, 3], "classes": 10}, 2),
    ("nasnet", "NASNetMobile", {"include_top": True}, 0),
    ("xception", "Xception", {"include_top": False, "input_shape": [None, None, 3], "pooling": "max"}, 0),
    ("xception", "Xception", {"include_top": True, "input_shape": [71, 71, 3], "classes": 10}, 2),
    ("xception", "Xception", {"include_top": True}, 0),
]


def build(constructor, args):
    kwargs = dict(args)
    if "input_shape" in kwargs:
        kwargs["input_shape"] = tuple(kwargs["input_shape"])
    keras.backend.clear_session()
    return getattr(keras.applications, constructor)(weights=None, **kwargs)


def weight_name(w):
    name = w.path if KERAS3 else w.name
    return name[:-2] if name.endswith(":0") else name


def table(model):
    out = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        weights = [[weight_name(w), list(w.shape)] for w in layer.trainable_weights + layer.non_trainable_weights]
        if type(layer).__name__ == "DepthwiseConv2D":
            # tf.keras 2 names the weight depthwise_kernel, Keras 3 (and kerascpp) kernel; weight
            # files match it by position, so only the name differs.
            weights = [[name.replace("/depthwise_kernel", "/kernel"), shape] for name, shape in weights]
        out.append({"name": layer.name, "class_name": type(layer).__name__, "weights": weights})
    return out


def write_fixtures():
    doc = {"generator": "tools/make_application_fixtures.py", "keras_version": VERSION, "models": []}
    for arch, constructor, args, _ in ENTRIES:
        model = build(constructor, args)
        doc["models"].append({"arch": arch, "args": args, "params": int(model.count_params()),
                              "trainable_weights": len(model.trainable_weights),
                              "output_shape": list(model.output_shape), "layers": table(model)})
    os.makedirs(TARGET, exist_ok=True)
    with open(os.path.join(TARGET, "keras_applications.json"), "w") as f:
        json.dump(doc, f)


def randomize(model, rng):
    """Random weights, BatchNormalization statistics too, that keep deep nets' outputs finite."""
    for w in model.weights:
        shape = tuple(w.shape)
        if "variance" in w.name or "gamma" in w.name:
            low, high = 0.5, 1.5
        elif len(shape) >= 2:  # kernels: unit variance through the layer
            fan_in = np.prod(shape[:2]) if "depthwise" in w.name else np.prod(shape[:-1])
            high = float(np.sqrt(3.0 / fan_in))
            low = -high
        else:
            low, high = -0.2, 0.2
        w.assign(rng.uniform(low, high, shape).astype("float32"))


def write_weights_fixture():
    """MobileNet (alpha 0.25, no top, average pooling) with random weights, saved by this Keras
    in the layout of Keras' published files (tf.keras 2: legacy .h5; Keras 3: .weights.h5), with
    an input batch and Keras' outputs: small enough to commit, so CI checks the numbers."""
    rng = np.random.default_rng(11)
    args = {"include_top": False, "input_shape": [32, 32, 3], "alpha": 0.25, "pooling": "avg"}
    model = build("MobileNet", args)
    randomize(model, rng)
    stem = "mobilenet_0.25_notop_" + ("k3.weights.h5" if KERAS3 else "k2.h5")
    model.save_weights(os.path.join(TARGET, stem))
    x = rng.uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    x = np.asarray(keras.applications.mobilenet.preprocess_input(x.copy()))
    y = np.asarray(model(x, training=False))
    with open(os.path.join(TARGET, "mobilenet_0.25_notop_" + ("k3" if KERAS3 else "k2") + ".json"), "w") as f:
        json.dump({"keras_version": VERSION, "arch": "mobilenet", "args": args, "weights": stem,
                   "input": x.ravel().tolist(), "input_shape": list(x.shape), "output": y.ravel().tolist(),
                   "output_shape": list(y.shape)}, f)


def compare(binary):
    rng = np.random.default_rng(3)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for arch, constructor, args, batch in ENTRIES:
            if batch == 0:
                continue
            model = build(constructor, args)
            randomize(model, rng)
            weights = os.path.join(tmp, "weights" + (".weights.h5" if KERAS3 else ".h5"))
            model.save_weights(weights)
            shape = [batch] + list(args["input_shape"])
            x = rng.uniform(0, 255, shape).astype("float32")
            module = {"resnet": "resnet50"}.get(arch, arch)
            x = np.asarray(getattr(keras.applications, module).preprocess_input(x.copy()))
            expected = np.asarray(model(x, training=False))
            x.tofile(os.path.join(tmp, "x.bin"))
            spec = json.dumps({"arch": arch, "args": args, "weights": weights, "input": os.path.join(tmp, "x.bin"),
                               "input_shape": shape, "output": os.path.join(tmp, "y.bin")})
            env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}  # Python's, not ours
            subprocess.run([binary, spec], check=True, env=env)
            ours = np.fromfile(os.path.join(tmp, "y.bin"), dtype="float32").reshape(expected.shape)
            error = float(np.max(np.abs(ours - expected)))
            scale = float(np.max(np.abs(expected)))
            worst = max(worst, error / max(scale, 1.0))
            print(f"Keras {VERSION} {constructor}({json.dumps(args)}): "
                  f"{model.count_params():,} parameters, max |ours - Keras'| = {error:.2e} (outputs up to {scale:.2e})")
    assert worst < 1e-4, worst


def forward_flops(model):
    """2 x the multiply-adds of the convolutions and dense layers for one image (docs/models.md)."""
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense"):
            continue
        out = layer.output.shape
        positions = int(np.prod([d for d in out[1:-1]])) if len(out) > 2 else 1
        cin = int(layer.input.shape[-1])
        if kind == "Dense":
            total += 2 * cin * int(out[-1])
        elif kind == "Conv2D":
            kh, kw = layer.kernel_size
            total += 2 * kh * kw * cin // layer.groups * int(out[-1]) * positions
        elif kind == "DepthwiseConv2D":
            kh, kw = layer.kernel_size
            total += 2 * kh * kw * cin * layer.depth_multiplier * positions
        else:
            kh, kw = layer.kernel_size
            total += 2 * kh * kw * cin * layer.depth_multiplier * positions
            total += 2 * cin * layer.depth_multiplier * int(out[-1]) * positions
    return total


def print_flops():
    for arch, constructor, args, _ in ENTRIES:
        if None in args.get("input_shape", []):
            continue  # FLOPs need a size
        model = build(constructor, args)
        print(f"{constructor}({json.dumps(args)}): {model.count_params():,} parameters, "
              f"{forward_flops(model) / 1e9:.3f} GFLOPs per image")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        compare(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "--flops":
        print_flops()
    elif KERAS3:
        os.makedirs(TARGET, exist_ok=True)
        write_weights_fixture()  # the layer tables come from tf.keras 2.15, the published files' Keras
    else:
        write_fixtures()
        write_weights_fixture()
