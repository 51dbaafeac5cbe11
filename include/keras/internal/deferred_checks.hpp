#pragma once
// Checks whose evidence a kernel leaves on the backend (a count of bad labels, say): reading it
// at once would wait for the device on every batch, so the check waits for the next
// synchronization the host makes anyway (a value read, an epoch's logs), and then throws the
// same clear error it would have thrown at once.
#include <functional>
#include <string>

#include "keras/core/tensor.hpp"

namespace keras::internal {

// `count` is an int32 scalar that must be zero; describe() builds the error message (it may
// read tensors it captured; it runs only when the check failed). On a host backend the check
// runs at once.
void defer_check(const Tensor& count, std::function<std::string()> describe);

// Runs the checks pending on `backend` (one host read when all pass); throws ValueError with the
// first failed check's message. A host read of a tensor runs its backend's checks (reading a host
// tensor does not wait for a device, so it leaves a device's checks pending).
void run_deferred_checks(Backend& backend);

}  // namespace keras::internal
