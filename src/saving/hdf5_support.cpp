#include "hdf5_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include "keras/core/errors.hpp"

namespace keras::internal {

void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

void write_hdf5_atomically(const std::string& path, const std::string& what,
                           const std::function<void(hid_t file)>& write) {
  silence_hdf5();
  const std::filesystem::path target(path);
  const std::filesystem::path temporary =
      target.parent_path() / ("." + target.filename().string() + ".tmp" + std::to_string(::getpid()));
  try {
    Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) {
      throw IOError(what + ": cannot create '" + temporary.string() + "' (does the folder exist and is it writable?)");
    }
    write(file.get());
    if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) throw IOError(what + ": cannot flush " + temporary.string());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
  std::error_code error;
  std::filesystem::rename(temporary, target, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw IOError(what + ": cannot rename '" + temporary.string() + "' to '" + path + "': " + error.message());
  }
}

hid_t open_hdf5_for_reading(const std::string& path, const std::string& what) {
  silence_hdf5();
  if (!std::filesystem::is_regular_file(path)) throw IOError(what + ": '" + path + "' does not exist");
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    throw IOError(what + ": '" + path + "' is not an HDF5 file (truncated, or another format?)");
  }
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) throw IOError(what + ": cannot open '" + path + "' (corrupt HDF5?)");
  return file;
}

namespace {

constexpr std::size_t kHeaderLimit = 64512;  // Keras' HDF5_OBJECT_HEADER_LIMIT

bool has_attribute(hid_t object, const std::string& name) {
  return H5Aexists(object, name.c_str()) > 0;
}

std::vector<std::string> read_one_attribute(hid_t object, const std::string& name, const std::string& where) {
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) throw IOError(where + ": cannot open the attribute '" + name + "'");
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0) throw IOError(where + ": cannot read the shape of the attribute '" + name + "'");
  const auto n = static_cast<std::size_t>(count);
  // Every element takes at least a byte of the attribute's storage: a larger count is a
  // corrupt header, not a reason to allocate it.
  if (n > H5Aget_storage_size(attr.get())) {
    throw IOError(where + ": the attribute '" + name + "' claims " + std::to_string(n) + " elements in " +
                  std::to_string(H5Aget_storage_size(attr.get())) + " bytes (corrupt file)");
  }
  if (H5Tget_class(type.get()) != H5T_STRING) {
    if (n == 0) return {};  // h5py writes an empty list as an empty float64 array
    throw IOError(where + ": the attribute '" + name + "' holds numbers, not the strings expected");
  }
  std::vector<std::string> values;
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle memtype(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memtype.get(), H5T_VARIABLE);
    H5Tset_cset(memtype.get(), H5Tget_cset(type.get()));
    std::vector<char*> raw(n, nullptr);
    if (n && H5Aread(attr.get(), memtype.get(), raw.data()) < 0) {
      throw IOError(where + ": cannot read the attribute '" + name + "'");
    }
    for (char* s : raw) values.emplace_back(s ? s : "");
    if (n) H5Dvlen_reclaim(memtype.get(), space.get(), H5P_DEFAULT, raw.data());
    return values;
  }
  const std::size_t size = H5Tget_size(type.get());
  if (size == 0 || n * size > H5Aget_storage_size(attr.get())) {
    throw IOError(where + ": the attribute '" + name + "' claims more string bytes than it stores (corrupt file)");
  }
  std::vector<char> raw(n * size + 1, '\0');
  if (n && H5Aread(attr.get(), type.get(), raw.data()) < 0) {
    throw IOError(where + ": cannot read the attribute '" + name + "'");
  }
  const bool space_padded = H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD;
  for (std::size_t i = 0; i < n; ++i) {
    std::string s(raw.data() + i * size, size);
    s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
    if (space_padded) s.erase(s.find_last_not_of(' ') + 1);
    values.push_back(std::move(s));
  }
  return values;
}

void write_fixed_strings(hid_t object, const std::string& name, const std::vector<std::string>& values,
                         std::size_t begin, std::size_t end, std::size_t width, bool scalar,
                         const std::string& where) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), width);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  const hsize_t dims[1] = {end - begin};
  Handle space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, nullptr), H5Sclose);
  std::vector<char> raw((end - begin) * width, '\0');
  for (std::size_t i = begin; i < end; ++i) std::copy(values[i].begin(), values[i].end(), raw.begin() + (i - begin) * width);
  Handle attr(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), raw.data()) < 0) {
    throw IOError(where + ": cannot write the attribute '" + name + "'");
  }
}

}  // namespace

bool has_string_list(hid_t object, const std::string& name) {
  return has_attribute(object, name) || has_attribute(object, name + "0");
}

std::vector<std::string> read_string_list(hid_t object, const std::string& name, const std::string& where) {
  if (has_attribute(object, name)) return read_one_attribute(object, name, where);
  std::vector<std::string> values;
  for (int chunk = 0; has_attribute(object, name + std::to_string(chunk)); ++chunk) {
    auto part = read_one_attribute(object, name + std::to_string(chunk), where);
    values.insert(values.end(), part.begin(), part.end());
  }
  return values;
}

void write_string_list(hid_t object, const std::string& name, const std::vector<std::string>& values,
                       const std::string& where) {
  if (values.empty()) {
    const hsize_t dims[1] = {0};
    Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
    Handle attr(H5Acreate2(object, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!attr.valid()) throw IOError(where + ": cannot write the attribute '" + name + "'");
    return;
  }
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  if (width > kHeaderLimit) {
    throw IOError(where + ": a name of " + std::to_string(width) + " bytes in '" + name +
                  "' exceeds HDF5's object header (64512 bytes)");
  }
  // numpy.array_split into the fewest chunks that each fit, as Keras does.
  std::size_t chunks = 1;
  auto largest_chunk = [&](std::size_t k) { return (values.size() + k - 1) / k * width; };
  while (largest_chunk(chunks) > kHeaderLimit) ++chunks;
  if (chunks == 1) {
    write_fixed_strings(object, name, values, 0, values.size(), width, false, where);
    return;
  }
  const std::size_t base = values.size() / chunks, extra = values.size() % chunks;
  std::size_t begin = 0;
  for (std::size_t k = 0; k < chunks; ++k) {
    const std::size_t end = begin + base + (k < extra ? 1 : 0);
    write_fixed_strings(object, name + std::to_string(k), values, begin, end, width, false, where);
    begin = end;
  }
}

void write_string_attribute(hid_t object, const std::string& name, const std::string& value,
                            const std::string& where) {
  write_fixed_strings(object, name, {value}, 0, 1, std::max<std::size_t>(value.size(), 1), true, where);
}

void write_utf8_attribute(hid_t object, const std::string& name, const std::string& value,
                          const std::string& where) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* text = value.c_str();
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), &text) < 0) {
    throw IOError(where + ": cannot write the attribute '" + name + "'");
  }
}

hid_t create_group(hid_t parent, const std::string& name, const std::string& where) {
  // Layer names may hold '/' (DenseNet's "conv1/conv"): h5py then makes the groups on the way.
  Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(links.get(), 1);
  const hid_t g = H5Gcreate2(parent, name.c_str(), links.get(), H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) throw IOError(where + ": cannot create the group '" + name + "'");
  return g;
}

std::vector<float> read_float_dataset(hid_t dataset, std::vector<std::int64_t>& shape, const std::string& where) {
  Handle type(H5Dget_type(dataset), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_FLOAT) throw IOError(where + " is not floating-point data");
  Handle space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) throw IOError(where + ": unreadable shape");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  shape.assign(dims.begin(), dims.end());
  std::size_t count = 1;
  for (auto d : dims) {
    if (d > (std::size_t{1} << 40) || (d != 0 && count > (std::size_t{1} << 40) / d)) {
      throw IOError(where + ": impossible shape (corrupt file)");
    }
    count *= static_cast<std::size_t>(d);
  }
  // Stored bytes bound the values (deflate packs at most ~1032:1): a larger shape is corrupt.
  if (count * sizeof(float) > H5Dget_storage_size(dataset) * 1100 + (std::size_t{1} << 20)) {
    throw IOError(where + ": its shape claims " + std::to_string(count) + " values but the file stores " +
                  std::to_string(H5Dget_storage_size(dataset)) + " bytes (truncated or corrupt)");
  }
  std::vector<float> values(count);
  if (count && H5Dread(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
    throw IOError(where + ": cannot read the data (truncated file?)");
  }
  return values;
}

void write_scalar_dataset(hid_t parent, const std::string& name, double value, bool integer,
                          const std::string& where) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(links.get(), 1);
  Handle data(H5Dcreate2(parent, name.c_str(), integer ? H5T_STD_I64LE : H5T_IEEE_F32LE, space.get(), links.get(),
                         H5P_DEFAULT, H5P_DEFAULT),
              H5Dclose);
  if (!data.valid() || H5Dwrite(data.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0) {
    throw IOError(where + ": cannot write the dataset '" + name + "'");
  }
}

double read_scalar_dataset(hid_t dataset, const std::string& where) {
  Handle type(H5Dget_type(dataset), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) throw IOError(where + " is not numeric data");
  Handle space(H5Dget_space(dataset), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) throw IOError(where + " is not a single number");
  double value = 0.0;
  if (H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0) {
    throw IOError(where + ": cannot read the data (truncated file?)");
  }
  return value;
}

void write_float_dataset(hid_t parent, const std::string& name, const std::vector<std::int64_t>& shape,
                         const std::vector<float>& values, const std::string& where) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  // Names like "conv2d/kernel:0" make the groups on the way, as h5py does.
  Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(links.get(), 1);
  Handle data(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F32LE, space.get(), links.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Dclose);
  if (!data.valid() || H5Dwrite(data.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
    throw IOError(where + ": cannot write the dataset '" + name + "'");
  }
}

}  // namespace keras::internal
