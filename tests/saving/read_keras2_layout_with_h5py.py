#!/usr/bin/env python3
"""Reads a Keras 2-layout weights file the way Keras' legacy loader does (h5py, attributes
layer_names / weight_names, datasets by name) and prints what it finds, one line per item, for
tests/saving/legacy_weights_h5_test.cpp to compare with the model that wrote it:
  attr <name> <value>                       root attributes backend, keras_version
  layer <name> <number of weights>          in layer_names order
  weight <layer> <dataset name> <shape> <sum of values>
A full-model file (model_weights group) is read as Keras' load_model_from_hdf5 reads it, first:
  model <class name> <number of layers in model_config>
  optimizer <class name>                    from training_config
  optimizer_weight <name> <shape>           in weight_names order
then the weights of its model_weights group as above.
Usage: /usr/bin/python3 read_keras2_layout_with_h5py.py FILE.h5
"""
import json
import sys

import h5py
import numpy as np


def strings(attrs, name):
    # Keras' load_attributes_from_hdf5_group: the attribute, or its chunks name0, name1, ...
    if name in attrs:
        values = list(attrs[name])
    else:
        values, k = [], 0
        while f"{name}{k}" in attrs:
            values.extend(attrs[f"{name}{k}"])
            k += 1
    return [v.decode("utf8") if hasattr(v, "decode") else v for v in values]


def text(value):
    return value.decode("utf8") if hasattr(value, "decode") else value


def main():
    with h5py.File(sys.argv[1], "r") as root:
        f = root
        if "model_weights" in root:
            config = json.loads(text(root.attrs["model_config"]))
            print("model", config["class_name"], len(config["config"]["layers"]))
            training = json.loads(text(root.attrs["training_config"]))
            print("optimizer", training["optimizer_config"]["class_name"])
            group = root["optimizer_weights"]
            for name in strings(group.attrs, "weight_names"):
                print("optimizer_weight", name, ",".join(map(str, group[name].shape)))
            f = root["model_weights"]
        for key in ("backend", "keras_version"):
            value = f.attrs[key]
            print("attr", key, value.decode("utf8") if hasattr(value, "decode") else value)
        for layer in strings(f.attrs, "layer_names"):
            names = strings(f[layer].attrs, "weight_names")
            print("layer", layer, len(names))
            for name in names:
                data = np.asarray(f[layer][name])
                print("weight", layer, name, ",".join(map(str, data.shape)), f"{float(data.sum(dtype=np.float64)):.6f}")


if __name__ == "__main__":
    main()
