#!/usr/bin/env python3
"""Writes tests/fixtures/keras_loss_scale_optimizer.json: Keras 3's LossScaleOptimizer (dynamic
loss scaling, the optimizer compile() wraps in under "mixed_float16") on a scripted sequence of
(already scaled) gradients with finite, infinite and NaN steps.

After every step the file records the loss scale, the step counter, the inner optimizer's
iterations and the variable. tests/optimizers/loss_scale_optimizer_test.cpp must reproduce
them. Run with Keras 3 (any backend), e.g. in a throwaway venv:
  python3 -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras jax[cpu]
  KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/make_loss_scale_fixture.py
"""
import json
import math
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "keras_loss_scale_optimizer.json")

START = [1.0, -2.0, 3.0]
INF, NAN = float("inf"), float("nan")
# Gradients as apply() receives them: of the scaled loss.
GRADIENTS = [
    [1000.0, -2000.0, 500.0],
    [4000.0, 100.0, -300.0],
    [-800.0, 1600.0, 2.0],     # third finite step in a row: the scale doubles (growth steps 3)
    [1.0, INF, 3.0],           # skipped, scale halves
    [NAN, 0.5, 0.25],          # skipped, scale halves again
    [3000.0, -6000.0, 1500.0],
    [10.0, 20.0, -30.0],
    [-7.0, 65504.0, 8.0],
    [1.0, 2.0, 3.0],           # doubles again
]


def encode(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def main():
    defaults = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD())
    cases = {}
    for name, inner in {
        "sgd": lambda: keras.optimizers.SGD(learning_rate=0.1),
        "adam": lambda: keras.optimizers.Adam(learning_rate=0.01),
    }.items():
        var = keras.Variable(np.array(START, dtype="float32"))
        opt = keras.optimizers.LossScaleOptimizer(inner(), initial_scale=1024.0, dynamic_growth_steps=3)
        opt.build([var])
        steps = []
        for g in GRADIENTS:
            # The stateless form is what Keras' JAX trainer runs (stateful apply needs a TF or
            # torch backend); its state goes back into the variables after each step.
            grads = [keras.ops.convert_to_tensor(np.array(g, dtype="float32"))]
            new_vars, new_opt_vars = opt.stateless_apply([v.value for v in opt.variables], grads, [var.value])
            var.assign(new_vars[0])
            for v, value in zip(opt.variables, new_opt_vars):
                v.assign(value)
            steps.append({
                "scale": float(opt.dynamic_scale.numpy()),
                "step_counter": int(opt.step_counter.numpy()),
                "iterations": int(opt.iterations.numpy()),
                "variable": [float(v) for v in np.asarray(var.numpy())],
            })
        cases[name] = steps
    data = {
        "keras_version": keras.__version__,
        "default_initial_scale": float(defaults.initial_scale),
        "default_dynamic_growth_steps": int(defaults.dynamic_growth_steps),
        "initial_scale": 1024.0,
        "dynamic_growth_steps": 3,
        "start": START,
        "gradients": [[encode(x) for x in g] for g in GRADIENTS],
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
