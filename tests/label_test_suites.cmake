# Run after each build of the test binary (cmake -P): gives every discovered test case its doctest
# suites as ctest labels. doctest_discover_tests' ADD_LABELS does the same by starting the binary
# once per test case (345 starts, a minute of every build); this starts it once per suite.
# Inputs: TEST_EXECUTABLE, CTEST_FILE (written), WORKING_DIRECTORY.
function(doctest_lines out)
  execute_process(COMMAND "${TEST_EXECUTABLE}" ${ARGN} OUTPUT_VARIABLE text RESULT_VARIABLE result
                  WORKING_DIRECTORY "${WORKING_DIRECTORY}")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "'${TEST_EXECUTABLE} ${ARGN}' failed (${result}):\n${text}")
  endif()
  string(REPLACE "\n" ";" lines "${text}")
  set(kept)
  foreach(line ${lines})
    if(line STREQUAL "" OR line MATCHES "^=+$" OR line MATCHES [==[^\[doctest\] ]==])
      continue()
    endif()
    list(APPEND kept "${line}")
  endforeach()
  set(${out} "${kept}" PARENT_SCOPE)
endfunction()

set(script "")
doctest_lines(suites --list-test-suites)
foreach(suite ${suites})
  doctest_lines(cases --list-test-cases "--test-suite=${suite}")
  foreach(name ${cases})
    string(APPEND script "set_tests_properties([==[${name}]==] PROPERTIES LABELS [==[${suite}]==])\n")
  endforeach()
endforeach()
file(WRITE "${CTEST_FILE}" "${script}")
