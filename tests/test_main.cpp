// doctest's main, plus one guard: a run whose filters select no test case fails. ctest runs
// each case by name, and a name the filter cannot match must not pass silently.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <iostream>

#include "keras/core/tensor_float_32.hpp"
#include "support/emulated_device_backend.hpp"

namespace {

bool g_query = false;             // --list-test-cases and friends run no tests by design
unsigned g_selected_cases = 0;

struct SelectionListener : doctest::IReporter {
  explicit SelectionListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override { g_query = true; }
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    g_selected_cases = stats.numTestCasesPassingFilters;
  }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

REGISTER_LISTENER("selection_guard", 1, SelectionListener);

int main(int argc, char** argv) {
  keras::testing::register_emulated_device_backend();  // KERAS_BACKEND=emulated_device runs the suite on it
  // The suite holds every backend to float32 tolerances (TensorFlow's own tests switch TF32 off
  // too); tensor_float_32_test.cpp turns it on where it tests it.
  keras::config::enable_tensor_float_32_execution(false);
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (context.shouldExit() || g_query) return result;
  if (result == 0 && g_selected_cases == 0) {
    std::cerr << "error: the test filters selected no test case\n";
    return 1;
  }
  return result;
}
