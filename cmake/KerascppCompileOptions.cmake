# Warnings and sanitizers for kerascpp's own targets (never for dependencies).
function(kerascpp_compile_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  # GCC 12 reports impossible memcpy overlaps in std::string concatenation at -O2/-O3
  # (GCC bug 105329); the warning is noise there, so only that compiler skips it.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
     AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(KERASCPP_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(KERASCPP_BUILD_FUZZERS)
    # Coverage for libFuzzer and AddressSanitizer in the library the fuzzers drive.
    target_compile_options(${target} PUBLIC -fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=address)
  endif()
  if(KERASCPP_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=address,undefined
      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()
