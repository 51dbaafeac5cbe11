#pragma once
// What both weights-file layouts share: HDF5 handles closed on scope exit, quiet HDF5 errors
// (we report our own), string-list attributes in every form Keras versions wrote them, and
// writing through a temporary file renamed into place.
#include <hdf5.h>

#include <functional>
#include <string>
#include <vector>

namespace keras::internal {

// An HDF5 identifier closed by the matching H5*close.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// HDF5 prints its error stack by default; we report our own errors instead.
void silence_hdf5();

// Creates `path` by writing a temporary file in the same folder (through `write`, given the
// open file), flushing it and renaming it over `path`: a crash leaves the old file intact.
// `what` names the caller in errors ("save_weights").
void write_hdf5_atomically(const std::string& path, const std::string& what,
                           const std::function<void(hid_t file)>& write);

// Opens an HDF5 file for reading, or raises an IOError saying what `path` is instead.
hid_t open_hdf5_for_reading(const std::string& path, const std::string& what);

// True when `object` has the attribute `name`, or its chunks name0, name1, ... (Keras splits
// attributes larger than an HDF5 object header).
bool has_string_list(hid_t object, const std::string& name);
// A list of strings from attribute `name` (or its chunks): fixed-length null- or space-padded,
// or variable-length; a scalar string is a list of one; an empty non-string array (what h5py
// writes for an empty list) is an empty list. Another type is an IOError naming `where`.
std::vector<std::string> read_string_list(hid_t object, const std::string& name,
                                          const std::string& where);
// Writes `values` as Keras does: fixed-length null-padded byte strings, split into chunks
// name0, name1, ... when they exceed 64512 bytes; an empty list as an empty float64 array.
void write_string_list(hid_t object, const std::string& name, const std::vector<std::string>& values,
                       const std::string& where);
// A scalar fixed-length string attribute (what h5py writes for a bytes value).
void write_string_attribute(hid_t object, const std::string& name, const std::string& value,
                            const std::string& where);

// A scalar variable-length UTF-8 string attribute (what h5py writes for a str value): Keras 3's
// "name" on vars groups, and model_config / training_config, which may exceed 64 KiB.
void write_utf8_attribute(hid_t object, const std::string& name, const std::string& value,
                          const std::string& where);
// Opens or creates groups and reads float datasets with errors that name the file.
hid_t create_group(hid_t parent, const std::string& name, const std::string& where);
// The dataset's shape and its values converted to float32; IOError if it is not floating-point.
std::vector<float> read_float_dataset(hid_t dataset, std::vector<std::int64_t>& shape,
                                      const std::string& where);
// A scalar dataset (an optimizer's step counter or learning rate), stored as int64 or float32.
void write_scalar_dataset(hid_t parent, const std::string& name, double value, bool integer,
                          const std::string& where);
// Any numeric dataset of a single element, as a double; IOError otherwise.
double read_scalar_dataset(hid_t dataset, const std::string& where);
void write_float_dataset(hid_t parent, const std::string& name, const std::vector<std::int64_t>& shape,
                         const std::vector<float>& values, const std::string& where);

}  // namespace keras::internal
