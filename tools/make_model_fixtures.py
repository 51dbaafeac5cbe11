#!/usr/bin/env python3
"""Writes tests/fixtures/keras_models/: whole-model files saved by real Keras, with inputs and
Keras' outputs, for tests/saving/model_files_test.cpp.

Run it twice, once per Keras generation (each in a throwaway venv; CI installs neither):
  python3 -m venv /tmp/kenv && /tmp/kenv/bin/pip install "keras>=3" "jax[cpu]" h5py
  /tmp/kenv/bin/python tools/make_model_fixtures.py          # Keras 3: k3_*.h5, k3_*.keras
  python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install "tensorflow-cpu==2.15.*"
  /tmp/tfenv/bin/python tools/make_model_fixtures.py          # tf.keras 2.15: k2_*.h5
Models: a Sequential CNN with BatchNormalization and Dropout; a functional model with Add,
Concatenate, Multiply, Average, Depthwise/Separable convs, padding, cropping and the activation
layers; "nested", a functional model holding a frozen functional base and a Sequential head; "resume", an MLP trained one Adam step before saving, with the batch and the outputs
after one more step (so a loaded optimizer state can be checked against Keras' next step).
Each of the first two also as model.to_json() text with save_weights beside it (*_tojson.*).
With `--check-ours DIR` it loads the files kerascpp wrote (DIR/ours_*.h5, .keras, and .json with
.weights.h5) and checks that Keras reproduces the outputs recorded in DIR/ours.json; under Keras 3
the custom layer of tests/saving/custom_layer_model.hpp is registered as the C++ side registers it
(its folder: /tmp/kerascpp_custom_layer_for_keras)."""
import json
import os
import sys

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
layers = keras.layers

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "..", "tests", "fixtures", "keras_models")
PREFIX = "k3" if KERAS3 else "k2"
rng = np.random.default_rng(5)


if KERAS3:
    @keras.saving.register_keras_serializable(package="kerascpp_tests", name="ScaleShift")
    class ScaleShift(keras.layers.Layer):
        """tests/saving/custom_layer_model.hpp's layer: tanh(x * scale + shift) + offset."""

        def __init__(self, offset=0.0, **kwargs):
            super().__init__(**kwargs)
            self.offset = offset

        def build(self, input_shape):
            self.scale = self.add_weight(name="scale", shape=(input_shape[-1],))
            self.shift = self.add_weight(name="shift", shape=(input_shape[-1],))

        def call(self, x):
            return keras.ops.tanh(x * self.scale + self.shift) + self.offset

        def get_config(self):
            return {**super().get_config(), "offset": self.offset}


def randomize(model):
    for w in model.weights:
        name = w.name
        low, high = (0.5, 1.5) if "variance" in name or "gamma" in name else (-0.5, 0.5)
        w.assign(rng.uniform(low, high, tuple(w.shape)).astype("float32"))


def sequential():
    # Keras 2 style: no Input, batch_input_shape on the first layer; Keras 3: an InputLayer.
    first = [keras.Input((8, 8, 3))] if KERAS3 else []
    conv_kwargs = {} if KERAS3 else {"input_shape": (8, 8, 3)}
    return keras.Sequential(first + [
        layers.Conv2D(4, 3, padding="same", activation="relu", **conv_kwargs),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Conv2D(6, 3, strides=1, kernel_regularizer=keras.regularizers.L2(1e-4)),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(5, activation="softmax"),
    ], name="cnn")


def functional():
    inp = keras.Input((9, 9, 3), name="image")
    x = layers.Rescaling(0.5, offset=-0.25)(inp)
    x = layers.ZeroPadding2D(((1, 0), (0, 1)))(x)
    x = layers.Cropping2D(((0, 1), (1, 0)))(x)
    a = layers.Conv2D(4, 3, padding="same")(x)
    a = layers.LeakyReLU()(a)
    b = layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    b = layers.Conv2D(4, 1, activation="elu")(b)
    c = layers.SeparableConv2D(4, 3, padding="same", activation="tanh")(x)
    s = layers.Add()([a, b])
    m = layers.Multiply()([a, c])
    v = layers.Average()([b, c])
    x = layers.Concatenate()([s, m, v])
    x = layers.BatchNormalization(momentum=0.9, epsilon=1e-2)(x)
    x = layers.ReLU(max_value=2.0)(x)
    x = layers.AveragePooling2D(2, strides=1)(x)
    x = layers.SpatialDropout2D(0.2)(x)
    x = layers.MaxPooling2D(2, padding="same")(x)
    g1 = layers.GlobalAveragePooling2D()(x)
    g2 = layers.GlobalMaxPooling2D()(x)
    x = layers.Concatenate()([g1, g2])
    x = layers.Reshape((4, 6))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(7, activation="sigmoid")(x)
    x = layers.ELU(alpha=0.5)(x)
    x = layers.Activation("sigmoid")(x)
    out = layers.Softmax()(layers.Dense(3)(x))
    return keras.Model(inp, out, name="branches")


def nested():
    # A frozen functional base with two BatchNormalizations (so tf.keras' trainable-first weight
    # order differs from the layer order) and a Sequential head, both nested in a functional model.
    base_in = keras.Input((8, 8, 3), name="base_in")
    x = layers.Conv2D(4, 3, padding="same", name="base_conv")(base_in)
    x = layers.BatchNormalization(name="base_bn")(x)
    x = layers.Conv2D(5, 3, activation="relu", name="base_conv2")(x)
    x = layers.BatchNormalization(name="base_bn2")(x)
    base = keras.Model(base_in, x, name="base")
    head = keras.Sequential([keras.Input((5,)), layers.Dense(6, activation="relu", name="head_dense"),
                             layers.Dropout(0.5, name="head_dropout")], name="head")
    inp = keras.Input((8, 8, 3), name="image")
    y = layers.GlobalAveragePooling2D(name="pool")(base(inp))
    out = layers.Dense(3, activation="softmax", name="classifier")(head(y))
    return keras.Model(inp, out, name="nested")


def freeze_base(model):
    if model.name == "nested":
        model.get_layer("base").trainable = False


def resume():
    first = [keras.Input((6,))] if KERAS3 else []
    kwargs = {} if KERAS3 else {"input_shape": (6,)}
    return keras.Sequential(first + [layers.Dense(5, activation="tanh", **kwargs), layers.Dense(3, activation="softmax")], name="resume")


def compile_and_step(model, x, y, optimizer):
    # The optimizer by name: Keras 3.15 leaves optimizer objects out of a .keras file's
    # compile_config (and then loads it with its default RMSprop), names survive.
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.train_on_batch(x, y)


def as_list(a):
    return np.asarray(a, "float32").ravel().tolist()


def save_fixture(doc, name, make, shape, classes):
    model = make()
    randomize(model)
    freeze_base(model)
    x = rng.uniform(-1, 1, shape).astype("float32")
    y = np.arange(shape[0]) % classes
    compile_and_step(model, x, y, "adam")
    out = np.asarray(model(x, training=False))
    model.save(os.path.join(TARGET, f"{PREFIX}_{name}.h5"))
    if KERAS3:
        model.save(os.path.join(TARGET, f"{PREFIX}_{name}.keras"))
    # The "architecture.json + weights" pattern: model.to_json() and save_weights.
    with open(os.path.join(TARGET, f"{PREFIX}_{name}_tojson.json"), "w") as f:
        f.write(model.to_json())
    model.save_weights(os.path.join(TARGET, f"{PREFIX}_{name}_tojson" + (".weights.h5" if KERAS3 else "_weights.h5")))
    doc["models"][name] = {"input": as_list(x), "input_shape": list(shape), "output": as_list(out),
                           "output_shape": list(out.shape), "params": int(model.count_params()),
                           "trainable_weights": len(model.trainable_weights),
                           "non_trainable_weights": len(model.non_trainable_weights)}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check-ours":
        return check_ours(sys.argv[2])
    os.makedirs(TARGET, exist_ok=True)
    doc = {"generator": "tools/make_model_fixtures.py", "keras_version": VERSION, "models": {}}
    save_fixture(doc, "sequential", sequential, (3, 8, 8, 3), 5)
    save_fixture(doc, "functional", functional, (2, 9, 9, 3), 3)
    model = resume()
    randomize(model)
    x = rng.uniform(-1, 1, (4, 6)).astype("float32")
    y = np.array([0, 1, 2, 1])
    compile_and_step(model, x, y, "adam")
    model.save(os.path.join(TARGET, f"{PREFIX}_resume.h5"))
    if KERAS3:
        model.save(os.path.join(TARGET, f"{PREFIX}_resume.keras"))
    before = np.asarray(model(x, training=False))
    model.train_on_batch(x, y)
    after = np.asarray(model(x, training=False))
    doc["models"]["resume"] = {"input": as_list(x), "input_shape": [4, 6], "labels": y.tolist(),
                               "output": as_list(before), "output_after_step": as_list(after), "output_shape": [4, 3]}
    if not KERAS3:
        # tf.keras 2.15 reads legacy .h5 files into its OptimizerV2 ("legacy") optimizers:
        # their state lists every m, then every v; and Keras 2's `decay` argument.
        for name, optimizer in [("resume_legacy_adam", tf.keras.optimizers.legacy.Adam(learning_rate=0.01)),
                                ("resume_legacy_rmsprop_decay",
                                 tf.keras.optimizers.legacy.RMSprop(learning_rate=0.01, decay=0.25))]:
            model = resume()
            randomize(model)
            x = rng.uniform(-1, 1, (4, 6)).astype("float32")
            compile_and_step(model, x, y, optimizer)
            model.train_on_batch(x, y)  # two steps, so the decayed rate differs from the initial one
            path = os.path.join(TARGET, f"{PREFIX}_{name}.h5")
            model.save(path)
            before = np.asarray(model(x, training=False))
            loaded = keras.models.load_model(path)  # Keras' own next step after loading
            loaded.train_on_batch(x, y)
            after = np.asarray(loaded(x, training=False))
            doc["models"][name] = {"input": as_list(x), "input_shape": [4, 6], "labels": y.tolist(),
                                   "output": as_list(before), "output_after_step": as_list(after),
                                   "output_shape": [4, 3], "optimizer": type(loaded.optimizer).__name__,
                                   "iterations": int(loaded.optimizer.iterations.numpy())}
    save_fixture(doc, "nested", nested, (2, 8, 8, 3), 3)  # last: the others' random draws stay as they were
    with open(os.path.join(TARGET, f"{PREFIX}_models.json"), "w") as f:
        json.dump(doc, f)


def check_ours(folder):
    with open(os.path.join(folder, "ours.json")) as f:
        doc = json.load(f)
    for file, record in doc.items():
        path = os.path.join(folder, file)
        if (path.endswith(".keras") or path.endswith(".json")) and not KERAS3:
            continue  # Keras 3 spellings, which tf.keras 2 cannot read (nor Keras 3's own)
        if KERAS3 and "nested" in file and path.endswith(".h5"):
            # A legacy .h5 numbers a nested model's calls from 1, as tf.keras does; Keras 3.15
            # cannot read that numbering, in tf.keras' own files either (k2_nested.h5).
            print(f"Keras {VERSION} skips {file}: it reads no legacy .h5 with a nested model, tf.keras' own included")
            continue
        if path.endswith(".json"):  # our to_json text, with its weights beside it
            with open(path) as f:
                model = keras.models.model_from_json(f.read())
            model.load_weights(path[:-len(".json")] + ".weights.h5")
        else:
            model = keras.models.load_model(path)
        x = np.asarray(record["input"], "float32").reshape(record["input_shape"])
        expected = np.asarray(record["output"], "float32").reshape(record["output_shape"])
        error = float(np.max(np.abs(np.asarray(model(x, training=False)) - expected)))
        print(f"Keras {VERSION} loads kerascpp's {file}: max |output - kerascpp's| = {error:.2e}")
        assert error < 1e-5, file
        # Keras' next step only from .keras: Keras 3.15 cannot train a model loaded from a legacy
        # .h5 (its own files included: "optimizer was built with 0 variables"), and tf.keras
        # 2.15 reads a legacy file's optimizer as its pre-2.11 optimizer, whose state differs.
        if "labels" in record and path.endswith(".keras"):
            model.train_on_batch(x, np.asarray(record["labels"]))
            after = np.asarray(record["output_after_step"], "float32").reshape(record["output_shape"])
            error = float(np.max(np.abs(np.asarray(model(x, training=False)) - after)))
            print(f"  and after one more training step (optimizer state restored): {error:.2e}")
            assert error < 1e-5, file + " after a step"


if __name__ == "__main__":
    main()
