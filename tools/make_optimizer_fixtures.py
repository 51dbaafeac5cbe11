#!/usr/bin/env python3
"""Writes tests/fixtures/keras_optimizers.json: three update steps of each Keras optimizer,
and the learning rates of Keras' schedules at a few steps.

Two variables start at fixed values and receive fixed gradients for three steps; the file
records the variables after every step. tests/optimizers/optimizers_test.cpp must reproduce
them to 1e-6 relative. Run as tools/make_keras_fixtures.py says (Keras 3, any backend).
"""
import json
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
from keras import optimizers  # noqa: E402

START = [[1.0, -2.0, 3.0, 0.5], [[0.25, -0.75], [1.5, 0.0]]]
GRADIENTS = [
    [[0.1, -0.2, 0.3, 0.0], [[0.5, -0.5], [0.05, 1.0]]],
    [[-0.5, 0.4, 0.05, 2.0], [[0.2, 0.1], [-0.3, 0.7]]],
    [[0.2, 0.2, -0.1, -1.0], [[-0.4, 0.6], [0.9, -0.2]]],
]

CASES = {
    "sgd": lambda: optimizers.SGD(learning_rate=0.1),
    "sgd_momentum": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "adam_amsgrad": lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
    "rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01),
    "rmsprop_centered_momentum": lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.1),
    "nadam": lambda: optimizers.Nadam(learning_rate=0.01),
    "sgd_clipnorm": lambda: optimizers.SGD(learning_rate=0.1, clipnorm=0.3),
    "sgd_clipvalue": lambda: optimizers.SGD(learning_rate=0.1, clipvalue=0.25),
    "sgd_global_clipnorm": lambda: optimizers.SGD(learning_rate=0.1, global_clipnorm=0.5),
    "sgd_weight_decay": lambda: optimizers.SGD(learning_rate=0.1, weight_decay=0.2),
    "adam_exponential_decay": lambda: optimizers.Adam(
        learning_rate=optimizers.schedules.ExponentialDecay(0.01, decay_steps=1, decay_rate=0.5)),
}

S = optimizers.schedules
SCHEDULES = {
    "exponential": lambda: S.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5),
    "exponential_staircase": lambda: S.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True),
    "piecewise": lambda: S.PiecewiseConstantDecay([10, 50], [0.1, 0.01, 0.001]),
    "polynomial": lambda: S.PolynomialDecay(0.1, decay_steps=50, end_learning_rate=0.01, power=2.0),
    "polynomial_cycle": lambda: S.PolynomialDecay(0.1, decay_steps=20, cycle=True),
    "inverse_time": lambda: S.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5),
    "cosine": lambda: S.CosineDecay(0.1, decay_steps=50, alpha=0.1),
    "cosine_warmup": lambda: S.CosineDecay(0.0, decay_steps=50, warmup_target=0.1, warmup_steps=10),
    "cosine_restarts": lambda: S.CosineDecayRestarts(0.1, first_decay_steps=10, t_mul=2.0, m_mul=0.5),
}
SCHEDULE_STEPS = [0, 1, 5, 9, 10, 11, 25, 29, 30, 49, 50, 51, 75, 100]


def main():
    out = {"generator": "tools/make_optimizer_fixtures.py", "keras_version": keras.__version__,
           "start": START, "gradients": GRADIENTS, "cases": {}}
    for name, make in CASES.items():
        opt = make()
        variables = [keras.Variable(np.array(v, dtype="float32")) for v in START]
        steps = []
        for grads in GRADIENTS:
            opt.apply_gradients(zip([np.array(g, dtype="float32") for g in grads], variables))
            steps.append([np.asarray(v).ravel().tolist() for v in variables])
        out["cases"][name] = steps
    out["schedule_steps"] = SCHEDULE_STEPS
    out["schedules"] = {name: [float(make()(step)) for step in SCHEDULE_STEPS]
                        for name, make in SCHEDULES.items()}
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "keras_optimizers.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
