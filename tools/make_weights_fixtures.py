#!/usr/bin/env python3
"""Writes tests/fixtures/keras_weights/: for two small models with seeded random weights, Keras
3 `.weights.h5` files, Keras 2-layout `.h5` files (Keras 3's legacy writer, the one
`load_weights("x.h5")` reads), and keras_weights.json with an input batch and Keras' outputs.
With `--check-ours DIR` it instead loads files kerascpp wrote (DIR/{sequential,functional}
{.h5,.weights.h5}, the fixture weights loaded and saved again by kerascpp) into real Keras and
checks Keras reproduces the recorded outputs.
tests/saving/weights_h5_test.cpp builds the same models, loads the files and must reproduce
the outputs. Run as tools/make_keras_fixtures.py says (Keras 3, any backend)."""
import json
import os
import sys

import h5py
import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
from keras import layers  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "..", "tests", "fixtures", "keras_weights")
rng = np.random.default_rng(11)


def randomize(model):
    for v in model.weights:
        low, high = (0.5, 1.5) if "variance" in v.path or "gamma" in v.path else (-0.5, 0.5)
        v.assign(rng.uniform(low, high, v.shape).astype("float32"))


def sequential():
    return keras.Sequential([
        keras.Input((8, 8, 3)),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Conv2D(6, 3),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(5, activation="softmax"),
    ])


def functional():
    inp = keras.Input((6,))
    a = layers.Dense(4, activation="tanh")(inp)
    b = layers.Dense(4)(inp)
    merged = layers.Concatenate()([layers.Add()([a, b]), a])
    return keras.Model(inp, layers.Dense(2)(merged))


def check_ours(folder):
    """Real Keras loads weights files kerascpp wrote (both layouts, the fixture models' weights
    passed through kerascpp) and must reproduce the outputs recorded in keras_weights.json."""
    with open(os.path.join(TARGET, "keras_weights.json")) as f:
        doc = json.load(f)
    for name, make in [("sequential", sequential), ("functional", functional)]:
        m = doc["models"][name]
        x = np.asarray(m["input"], "float32").reshape(m["input_shape"])
        expected = np.asarray(m["output"], "float32").reshape(m["output_shape"])
        for suffix in (".h5", ".weights.h5"):
            model = make()
            model.load_weights(os.path.join(folder, name + suffix))
            error = float(np.max(np.abs(np.asarray(model(x, training=False)) - expected)))
            print(f"{name}{suffix}: Keras {keras.__version__} loads kerascpp's file, max |output - recorded| = {error:.2e}")
            assert error < 1e-5, name + suffix


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check-ours":
        check_ours(sys.argv[2])
        return
    os.makedirs(TARGET, exist_ok=True)
    doc = {"generator": "tools/make_weights_fixtures.py", "keras_version": keras.__version__, "models": {}}
    for name, make, shape in [("sequential", sequential, (3, 8, 8, 3)), ("functional", functional, (4, 6))]:
        model = make()
        randomize(model)
        model.save_weights(os.path.join(TARGET, f"{name}.weights.h5"))
        with h5py.File(os.path.join(TARGET, f"{name}.h5"), "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, model)
        x = rng.uniform(-1, 1, shape).astype("float32")
        y = np.asarray(model(x, training=False))
        doc["models"][name] = {"input": x.ravel().tolist(), "input_shape": list(shape),
                               "output": y.ravel().tolist(), "output_shape": list(y.shape)}
    with open(os.path.join(TARGET, "keras_weights.json"), "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
