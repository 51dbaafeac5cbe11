#pragma once
// The inline namespace that the host backends' shared inline code lives in. The cpu backend
// compiles its loops once per ISA level (cpu/loops.cpp, with KERASCPP_LOOPS_ISA set to that
// level's name); every other file gets "generic". Each variant's copy of an inline function
// thus has its own symbol, and the linker never hands AVX2 instructions to baseline code.
#ifndef KERASCPP_LOOPS_ISA
#define KERASCPP_LOOPS_ISA generic
#endif
