#!/usr/bin/env python3
"""Writes tests/fixtures/keras_layers.json: real Keras' outputs for every layer kerascpp has.

Each case builds one Keras layer, sets its weights to seeded random values, runs it on seeded
random inputs and records the inputs, the weights (names, shapes, values, in Keras' order) and
the output (and the weights after the call, for the moving statistics).
tests/layers/keras_golden_test.cpp rebuilds the same layer in C++, loads the
weights by order and must reproduce the output.

Run with Keras 3 and any backend (we used JAX on CPU), outside the build:
    python3 -m venv /tmp/kenv && /tmp/kenv/bin/pip install "keras>=3" "jax[cpu]"
    KERAS_BACKEND=jax /tmp/kenv/bin/python tools/make_keras_fixtures.py
"""
import json
import os
import sys

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
from keras import layers  # noqa: E402

rng = np.random.default_rng(2026)


def values(shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype("float32")


def case(name, layer, input_shapes, training=False, positive_weights=(), input_range=(-1.0, 1.0)):
    """Runs `layer` on random inputs in input_range; weights named in positive_weights are drawn
    in [0.5, 2)."""
    inputs = [values(s, *input_range) for s in input_shapes]
    layer.build(input_shapes[0] if len(input_shapes) == 1 else list(input_shapes))
    weights = []
    for v in layer.weights:
        w = values(v.shape, 0.5, 2.0) if v.name in positive_weights else values(v.shape)
        v.assign(w)
        weights.append({"name": v.name, "shape": list(v.shape), "values": w.ravel().tolist()})
    args = inputs[0] if len(inputs) == 1 else inputs
    out = np.asarray(layer(args, training=training) if training else layer(args))
    return {
        "name": name,
        "class": type(layer).__name__,
        "training": training,
        "inputs": [{"shape": list(x.shape), "values": x.ravel().tolist()} for x in inputs],
        "weights": weights,
        "output": {"shape": list(out.shape), "values": out.astype("float32").ravel().tolist()},
        # After the call: BatchNormalization in training updates its moving statistics.
        "weights_after": [np.asarray(v).astype("float32").ravel().tolist() for v in layer.weights],
    }


def main():
    cases = [
        case("dense_relu", layers.Dense(5, activation="relu"), [(3, 4)]),
        case("dense_rank3", layers.Dense(3), [(2, 3, 4)]),
        case("conv2d_same_stride2_relu",
             layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"), [(2, 7, 6, 3)]),
        case("conv2d_valid_dilated", layers.Conv2D(4, (2, 3), dilation_rate=2), [(1, 8, 8, 2)]),
        case("conv2d_groups", layers.Conv2D(6, 3, padding="same", groups=3), [(1, 5, 5, 3)]),
        case("depthwise_conv2d", layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
             [(2, 5, 5, 3)]),
        case("separable_conv2d",
             layers.SeparableConv2D(4, 3, depth_multiplier=2, activation="tanh"), [(1, 6, 6, 3)]),
        case("max_pooling2d_same", layers.MaxPooling2D(3, strides=2, padding="same"), [(1, 7, 7, 2)]),
        case("average_pooling2d_same", layers.AveragePooling2D(2, padding="same"), [(1, 5, 5, 2)]),
        case("global_average_pooling2d", layers.GlobalAveragePooling2D(), [(2, 3, 4, 5)]),
        case("global_max_pooling2d", layers.GlobalMaxPooling2D(keepdims=True), [(2, 3, 4, 5)]),
        case("batch_normalization_inference", layers.BatchNormalization(), [(2, 3, 3, 4)],
             positive_weights=("moving_variance", "gamma")),
        case("batch_normalization_training", layers.BatchNormalization(), [(4, 3, 3, 2)],
             training=True, positive_weights=("moving_variance", "gamma")),
        case("flatten", layers.Flatten(), [(2, 3, 2, 2)]),
        case("reshape", layers.Reshape((4, -1)), [(2, 3, 4)]),
        case("activation_gelu", layers.Activation("gelu"), [(2, 6)]),
        case("activation_elu", layers.Activation("elu"), [(2, 6)]),
        case("activation_sigmoid", layers.Activation("sigmoid"), [(2, 6)]),
        case("activation_softmax", layers.Activation("softmax"), [(3, 5)]),
        case("activation_leaky_relu", layers.Activation("leaky_relu"), [(2, 6)]),
        case("re_lu_options", layers.ReLU(max_value=0.6, negative_slope=0.1, threshold=0.2), [(3, 6)]),
        case("leaky_re_lu", layers.LeakyReLU(), [(2, 6)]),
        case("elu_alpha", layers.ELU(alpha=0.5), [(2, 6)]),
        case("softmax", layers.Softmax(), [(3, 5)]),
        case("zero_padding2d", layers.ZeroPadding2D(((1, 2), (3, 0))), [(1, 3, 3, 2)]),
        case("cropping2d", layers.Cropping2D(((1, 0), (2, 1))), [(1, 5, 6, 2)]),
        case("add", layers.Add(), [(2, 3, 4), (2, 3, 4)]),
        case("multiply", layers.Multiply(), [(2, 5), (2, 5), (2, 5)]),
        case("average", layers.Average(), [(2, 5), (2, 5)]),
        case("concatenate", layers.Concatenate(), [(2, 2, 3), (2, 2, 1)]),
        case("resizing_bilinear_up", layers.Resizing(5, 7), [(1, 3, 4, 2)]),
        case("resizing_bilinear_down", layers.Resizing(3, 2), [(1, 6, 5, 2)]),
        case("resizing_nearest", layers.Resizing(5, 7, interpolation="nearest"), [(1, 3, 4, 2)]),
        case("rescaling", layers.Rescaling(1.0 / 255.0, offset=-1.0), [(2, 4)]),
        # Appended (earlier cases keep their random draws).
        case("activation_relu6", layers.Activation("relu6"), [(2, 6)], input_range=(-10.0, 10.0)),
        case("activation_silu", layers.Activation("silu"), [(2, 6)], input_range=(-6.0, 6.0)),
        case("activation_swish", layers.Activation("swish"), [(2, 6)], input_range=(-6.0, 6.0)),
        case("activation_selu", layers.Activation("selu"), [(2, 6)], input_range=(-4.0, 4.0)),
        case("activation_softplus", layers.Activation("softplus"), [(2, 6)], input_range=(-30.0, 30.0)),
        case("subtract", layers.Subtract(), [(2, 3, 4), (2, 3, 4)]),
    ]
    doc = {
        "generator": "tools/make_keras_fixtures.py",
        "keras_version": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "keras_layers.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases with Keras {keras.__version__} ({keras.backend.backend()}) to {path}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
