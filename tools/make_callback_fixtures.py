#!/usr/bin/env python3
"""Writes tests/fixtures/keras_callbacks.json: what Keras' EarlyStopping and ReduceLROnPlateau
decide on scripted metric sequences (the epoch training stops at; the learning rate after each
epoch). tests/callbacks/callbacks_test.cpp must decide the same. Run as
tools/make_keras_fixtures.py says (Keras 3, any backend)."""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

SEQUENCE = [1.0, 0.9, 0.95, 0.905, 0.85, 0.86, 0.87, 0.849, 0.86, 0.88, 0.9, 0.7, 0.71, 0.72, 0.73, 0.74]
RISING = [0.5, 0.6, 0.6, 0.61, 0.605, 0.7, 0.69, 0.68, 0.7, 0.71]


def tiny_model(lr):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    model.optimizer.build(model.trainable_variables)
    return model


def early_stopping(name, values, **kwargs):
    cb = keras.callbacks.EarlyStopping(**kwargs)
    model = tiny_model(0.1)
    cb.set_model(model)
    cb.on_train_begin()
    stopped = None
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {kwargs.get("monitor", "val_loss"): v})
        if model.stop_training:
            stopped = epoch
            break
    return {"name": name, "values": values, "kwargs": kwargs, "stopped_epoch": stopped,
            "best_epoch": int(cb.best_epoch)}


def reduce_lr(name, values, **kwargs):
    cb = keras.callbacks.ReduceLROnPlateau(**kwargs)
    model = tiny_model(1.0)
    cb.set_model(model)
    cb.on_train_begin()
    rates = []
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {kwargs.get("monitor", "val_loss"): v})
        rates.append(float(model.optimizer.learning_rate))
    return {"name": name, "values": values, "kwargs": kwargs, "learning_rates": rates}


def main():
    out = {
        "generator": "tools/make_callback_fixtures.py",
        "keras_version": keras.__version__,
        "early_stopping": [
            early_stopping("patience_2", SEQUENCE, patience=2),
            early_stopping("patience_3_min_delta", SEQUENCE, patience=3, min_delta=0.02),
            early_stopping("baseline", SEQUENCE, patience=2, baseline=0.8),
            early_stopping("start_from_epoch", SEQUENCE, patience=1, start_from_epoch=4),
            early_stopping("max_accuracy", RISING, monitor="val_accuracy", mode="max", patience=2),
        ],
        "reduce_lr_on_plateau": [
            reduce_lr("patience_2", SEQUENCE, factor=0.5, patience=2),
            reduce_lr("cooldown_min_lr", SEQUENCE, factor=0.5, patience=1, cooldown=2, min_lr=0.3),
            reduce_lr("min_delta", SEQUENCE, factor=0.2, patience=2, min_delta=0.05),
            reduce_lr("max_accuracy", RISING, monitor="val_accuracy", mode="max", factor=0.5, patience=1),
        ],
    }
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "keras_callbacks.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
