# Installs kerascpp into a scratch prefix, then configures, builds and runs the consumer
# project against it, as a user of find_package(kerascpp) would.
foreach(step
    "${CMAKE_COMMAND};--install;${BUILD_DIR};--prefix;${WORK_DIR}/prefix"
    "${CMAKE_COMMAND};-S;${SOURCE_DIR}/tests/install/consumer;-B;${WORK_DIR}/consumer;-G;Ninja;-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix;-DCMAKE_BUILD_TYPE=Release"
    "${CMAKE_COMMAND};--build;${WORK_DIR}/consumer"
    "${WORK_DIR}/consumer/consumer")
  execute_process(COMMAND ${step} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "step failed (${result}): ${step}")
  endif()
endforeach()

# The installed package brings kerascpp's OpenMP wait policy to the user's program too: its
# libgomp reports spin count 0 (passive) when the user's environment sets none.
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env --unset=OMP_WAIT_POLICY --unset=GOMP_SPINCOUNT OMP_DISPLAY_ENV=VERBOSE
          ${WORK_DIR}/consumer/consumer
  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT result EQUAL 0 OR NOT "${out}${err}" MATCHES "GOMP_SPINCOUNT = '0'")
  message(FATAL_ERROR "the installed consumer's OpenMP did not wait passively (${result}):\n${out}${err}")
endif()
message(STATUS "the installed consumer's OpenMP waits passively")
