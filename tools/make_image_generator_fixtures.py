#!/usr/bin/env python3
"""Writes tests/fixtures/keras_image_data_generator.json: Keras' ImageDataGenerator (its legacy
module, which Keras 3 keeps; scipy does the affine sampling) on seeded random images:
apply_transform with fixed parameters in every fill mode and both interpolation orders, and
standardize after fit, seeded get_random_transform, and flow's batches. Run as tools/make_keras_fixtures.py says, with scipy installed too."""
import json
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
from keras.src.legacy.preprocessing.image import ImageDataGenerator  # noqa: E402

rng = np.random.default_rng(5)
IMAGE = rng.uniform(0, 1, (6, 7, 3)).astype("float32")

TRANSFORMS = {
    "rotate": {"theta": 30.0},
    "shift": {"tx": 1.5, "ty": -2.25},
    "shear": {"shear": 20.0},
    "zoom": {"zx": 0.8, "zy": 1.3},
    "all": {"theta": -15.0, "tx": 0.5, "ty": 1.0, "shear": 10.0, "zx": 1.2, "zy": 0.9},
}


def transform_cases():
    cases = []
    for fill_mode in ["nearest", "constant", "reflect", "wrap"]:
        for order in [1, 0]:
            gen = ImageDataGenerator(fill_mode=fill_mode, cval=0.25, interpolation_order=order)
            for name, params in TRANSFORMS.items():
                out = gen.apply_transform(IMAGE.copy(), dict(params))
                cases.append({"name": f"{name}_{fill_mode}_order{order}", "fill_mode": fill_mode, "order": order,
                              "params": params, "output": out.astype("float32").ravel().tolist()})
    # Brightness goes through PIL: inputs in 0..255, in 0..1 (truncated to integers by Keras) and
    # with negative values (stretched to 0..255 and back).
    gen = ImageDataGenerator()
    for name, (scale, offset, b) in {"brightness_255_dim": (255.0, 0.0, 0.7), "brightness_255_bright": (255.0, 0.0, 1.3),
                                     "brightness_unit": (1.0, 0.0, 1.2), "brightness_negative": (2.0, -1.0, 0.8)}.items():
        out = gen.apply_transform((IMAGE * scale + offset).astype("float32"), {"brightness": b})
        cases.append({"name": name, "fill_mode": "nearest", "order": 1, "params": {"brightness": b},
                      "scale": scale, "offset": offset, "output": out.astype("float32").ravel().tolist()})
    for name, params in {"channel_shift": {"channel_shift_intensity": 0.3},
                         "flips": {"flip_horizontal": True, "flip_vertical": True},
                         "shift_flip": {"tx": 1.0, "flip_horizontal": True, "channel_shift_intensity": -0.2}}.items():
        out = gen.apply_transform(IMAGE.copy(), dict(params))
        cases.append({"name": name, "fill_mode": "nearest", "order": 1, "params": params,
                      "output": out.astype("float32").ravel().tolist()})
    return cases


def standardize_cases():
    batch = rng.uniform(0, 255, (10, 4, 4, 3)).astype("float32")
    configs = {
        "featurewise": dict(featurewise_center=True, featurewise_std_normalization=True, rescale=1 / 255.0),
        "samplewise": dict(samplewise_center=True, samplewise_std_normalization=True),
        "zca": dict(zca_whitening=True, rescale=1 / 255.0, zca_epsilon=1e-6),
    }
    cases = []
    for name, kwargs in configs.items():
        gen = ImageDataGenerator(**kwargs)
        gen.fit(batch.copy())
        out = np.stack([gen.standardize(batch[i].copy()) for i in range(3)])
        cases.append({"name": name, "kwargs": kwargs, "output": out.astype("float32").ravel().tolist()})
    return {"batch": batch.ravel().tolist(), "batch_shape": list(batch.shape), "cases": cases}


RANDOM_CONFIGS = {
    "float_ranges": dict(rotation_range=20, width_shift_range=0.1, height_shift_range=0.2, shear_range=10,
                         zoom_range=0.2, channel_shift_range=0.3, horizontal_flip=True, vertical_flip=True,
                         brightness_range=[0.5, 1.5]),
    "pixel_ranges": dict(width_shift_range=3, height_shift_range=2.0, zoom_range=[0.5, 1.5], horizontal_flip=True),
    "list_shifts": dict(width_shift_range=[1, 2, 4], height_shift_range=[0.5]),
}


def random_cases():
    cases = []
    for name, kwargs in RANDOM_CONFIGS.items():
        gen = ImageDataGenerator(**kwargs)
        for seed in [0, 7, 123456]:
            p = gen.get_random_transform((6, 7, 3), seed=seed)
            cases.append({"name": name, "kwargs": kwargs, "seed": seed,
                          "params": {k: (float(v) if v is not None else None) for k, v in p.items()}})
    return cases


def flow_case():
    x = np.stack([np.full((5, 5, 3), i, dtype="float32") + rng.uniform(0, 0.5, (5, 5, 3)).astype("float32")
                  for i in range(10)])
    y = np.arange(10)
    gen = ImageDataGenerator(rotation_range=15, width_shift_range=0.2, horizontal_flip=True, fill_mode="reflect")
    it = gen.flow(x, y, batch_size=4, shuffle=True, seed=42)
    batches = []
    for _ in range(6):  # two epochs of 3 batches
        bx, by = next(it)
        batches.append({"y": by.tolist(), "x": bx.astype("float32").ravel().tolist()})
    return {"x": x.ravel().tolist(), "x_shape": list(x.shape), "batches": batches}


def main():
    out = {"generator": "tools/make_image_generator_fixtures.py", "keras_version": keras.__version__,
           "image": IMAGE.ravel().tolist(), "image_shape": list(IMAGE.shape), "transforms": transform_cases(),
           "standardize": standardize_cases(), "random": random_cases(), "flow": flow_case()}
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "keras_image_data_generator.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
