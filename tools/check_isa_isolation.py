#!/usr/bin/env python3
"""Proves that libkerascpp.a runs on any x86-64-v1 CPU outside the cpu backend's dispatched loops.

The cpu backend compiles backends/cpu/loops.cpp once per ISA level (baseline, avx2 = x86-64-v3,
avx512 = x86-64-v4), each copy in namespace keras::cpu::<level>, and picks one at run time.
Two ways that could still leak AVX instructions into code every CPU runs:
  1. an inline function or template compiled in an AVX copy under a name shared with other
     files (the linker keeps one copy, maybe the AVX one): so every global or weak symbol an
     AVX loops object defines must be inside its own level's namespace;
  2. any other code built with AVX flags: so no function outside those namespaces may contain
     an instruction beyond x86-64-v1 (SSE2), found by disassembling the whole library.
Usage: check_isa_isolation.py path/to/libkerascpp.a   (exit status 1 and a list on failure)
"""
import re
import subprocess
import sys

LEVELS = ("avx2", "avx512")
# Mnemonics beyond SSE2 that are not VEX/EVEX-encoded ("v..."): SSE3, SSSE3, SSE4.1/4.2,
# POPCNT, LZCNT, BMI1/2, MOVBE.
BEYOND_SSE2 = set("""
addsubpd addsubps haddpd haddps hsubpd hsubps lddqu movddup movshdup movsldup fisttp
pabsb pabsd pabsw palignr phaddd phaddsw phaddw phsubd phsubsw phsubw pmaddubsw pmulhrsw pshufb
psignb psignd psignw blendpd blendps blendvpd blendvps dppd dpps extractps insertps movntdqa
mpsadbw packusdw pblendvb pblendw pcmpeqq pextrb pextrd pextrq phminposuw pinsrb pinsrd pinsrq
pmaxsb pmaxsd pmaxud pmaxuw pminsb pminsd pminud pminuw pmovsxbd pmovsxbq pmovsxbw pmovsxdq
pmovsxwd pmovsxwq pmovzxbd pmovzxbq pmovzxbw pmovzxdq pmovzxwd pmovzxwq pmuldq pmulld ptest
roundpd roundps roundsd roundss crc32 pcmpestri pcmpestrm pcmpistri pcmpistrm pcmpgtq popcnt
lzcnt tzcnt andn bextr blsi blsmsk blsr bzhi mulx pdep pext rorx sarx shlx shrx movbe
""".split())
EXEMPT_VEX = {"verr", "verw"}  # old protected-mode instructions that start with 'v'


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def in_level_namespace(name):
    # Demangled, or mangled where objdump cannot demangle (OpenMP's outlined "._omp_fn" parts).
    if any(f"keras::cpu::{lv}::" in name for lv in LEVELS):
        return True
    return name.startswith("_Z") and re.search(r"(?<!\d)(4avx2|6avx512)", name) is not None


def check_symbols(library):
    """Rule 1: the AVX loops objects define global/weak symbols only in their own namespace."""
    problems = []
    members = []  # (name, [(kind, symbol)]); names repeat (three loops.cpp.o)
    for line in run("nm", "-C", "--defined-only", library).splitlines():
        if line.endswith(":") and not line.startswith(" "):
            members.append((line[:-1], []))
            continue
        parts = line.split(None, 2)
        if len(parts) == 3 and members:
            members[-1][1].append((parts[1], parts[2]))
    seen_levels = set()
    for member, defined in members:
        level = next((lv for lv in LEVELS if any(f"keras::cpu::{lv}::loops_table" in n for _, n in defined)), None)
        if level is None:
            continue
        seen_levels.add(level)
        for kind, name in defined:
            if kind.islower() and kind not in "vw":
                continue  # local symbol: cannot stand in for anyone else's
            if f"keras::cpu::{level}::" in name or name == "DW.ref.__gxx_personality_v0":
                continue
            problems.append(f"{member} ({level}): '{kind}' symbol outside keras::cpu::{level}: {name}")
    return problems, seen_levels


def check_instructions(library):
    """Rule 2: nothing outside the AVX levels' namespaces uses an instruction beyond SSE2."""
    problems = []
    function = None
    reported = set()
    header = re.compile(r"^[0-9a-f]+ <(.*)>:$")
    for line in run("objdump", "-d", "-C", "--no-show-raw-insn", library).splitlines():
        m = header.match(line)
        if m:
            function = m.group(1)
            continue
        if function is None or "\t" not in line or in_level_namespace(function) or function in reported:
            continue
        instruction = line.split("\t", 1)[1].strip()
        if not instruction:
            continue
        mnemonic = instruction.split()[0]
        if (mnemonic.startswith("v") and mnemonic not in EXEMPT_VEX) or mnemonic in BEYOND_SSE2 \
                or "%ymm" in instruction or "%zmm" in instruction:
            problems.append(f"{function}: {instruction}")
            reported.add(function)
    return problems


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    library = sys.argv[1]
    problems, levels = check_symbols(library)
    if set(LEVELS) - levels:
        problems.append(f"no loops object found for level(s) {sorted(set(LEVELS) - levels)} in {library}")
    problems += check_instructions(library)
    if problems:
        print(f"{library}: {len(problems)} problem(s):")
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print(f"{library}: AVX code only inside keras::cpu::{{{','.join(LEVELS)}}}; the rest is x86-64-v1")


if __name__ == "__main__":
    main()
