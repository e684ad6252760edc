#!/usr/bin/env python3
"""CPU of the daemon by pipeline stage and by thread, from `perf record -g` samples (read from `perf script`).

usage: perf script -F comm,tid,time,ip,sym,dso | perf-stages.py DAEMON_CPU_SECONDS ROWS [SPLIT_TIME]

Unlike dotnet-trace's thread-time profile (trace-stages.py), perf samples only what runs on a CPU, kernel included,
so nothing has to be guessed about waiting threads, and the runtime's native work has names: the JIT (libclrjit.so,
mostly the tiered compilation worker recompiling hot methods), the GC, the kernel's socket and file work under the
managed frame that called it. The daemon runs with DOTNET_PerfMapEnabled=1 (and W^X off, whose double mapping hides JIT-compiled code from
the map) so perf can name JIT-compiled frames.
Each sample goes to: "JIT" if any frame is in libclrjit, else the stage (trace-stages.py's list) of its deepest
managed frame that names one, marked "(kernel)" when the leaf is in the kernel; else "runtime/other". Shares are
scaled to the CPU seconds bench.sh measured from /proc. With SPLIT_TIME (a CLOCK_MONOTONIC second, e.g. when the
sender finished), the table has one column per side of it.
"""
import importlib.util
import os
import re
import sys
from collections import Counter, defaultdict

_spec = importlib.util.spec_from_file_location("trace_stages", os.path.join(os.path.dirname(__file__), "trace-stages.py"))
trace_stages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(trace_stages)

HEADER = re.compile(r"^(.*?)\s+(\d+)\s+(\d+\.\d+):")
GC_FUNCTIONS = ["gc_heap::", "GCHeap::", "WKS::", "SVR::", "GCToEEInterface"]


def samples(stream):
    """Yields (comm, time, frames) with frames leaf first as (symbol, dso)."""
    header, frames = None, []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if header is not None:
                yield header[0], header[1], frames
            header, frames = None, []
            continue
        if not line.startswith(("\t", " ")) and header is None:
            # "comm tid time:" (a thread name may contain spaces)
            m = HEADER.match(line)
            header = (m.group(1), float(m.group(3))) if m else (line.split(" ", 1)[0], 0.0)
            continue
        text = line.strip()
        # "addr symbol+off (dso)"
        addr_sym, _, dso = text.rpartition(" (")
        sym = addr_sym.split(" ", 1)[1] if " " in addr_sym else addr_sym
        frames.append((sym, dso.rstrip(")")))
    if header is not None:
        yield header[0], header[1], frames


def classify(frames):
    if any("libclrjit" in dso for _, dso in frames):
        return "JIT (compiling methods)"
    leaf_kernel = bool(frames) and "kernel" in frames[0][1]
    for sym, dso in frames:
        if "libcoreclr" in dso and any(g in sym for g in GC_FUNCTIONS):
            return "GC"
        if sym != "[unknown]" and "kernel" not in dso:
            # perf names a method "Namespace.Type::Method"; the stage list is written as dotnet-trace names them.
            stage = trace_stages.stage_of([sym.replace("::", ".")])
            if stage is not None:
                return stage + (" (kernel)" if leaf_kernel else "")
    return "runtime/other (kernel)" if leaf_kernel else "runtime/other"


def main():
    cpu_seconds, rows = float(sys.argv[1]), int(sys.argv[2])
    split = float(sys.argv[3]) if len(sys.argv) > 3 else None
    by_stage = defaultdict(Counter)
    by_thread = Counter()
    other = Counter()
    total = 0
    for comm, at, frames in samples(sys.stdin):
        side = "all" if split is None else ("before" if at < split else "after")
        stage = classify(frames)
        by_stage[stage][side] += 1
        by_thread[comm] += 1
        total += 1
        if stage.startswith("runtime/other"):
            top = next((s for s, d in frames if "kernel" not in d), frames[0][0] if frames else "?")
            other[top.split("(")[0][:110]] += 1
    if total == 0 or rows <= 0:
        print("perf-stages: no samples", file=sys.stderr)
        return 1
    per_sample = cpu_seconds * 1e6 / rows / total
    sides = ["all"] if split is None else ["before", "after"]
    counts = {s: sum(c[s] for c in by_stage.values()) for s in sides}
    print(f"daemon CPU by stage from perf ({cpu_seconds:.2f} CPU s over {rows} rows = {cpu_seconds * 1e6 / rows:.2f} µs/row; {total} samples)")
    if split is None:
        print("| stage | share | µs/row |")
        print("|---|---:|---:|")
    else:
        print(f"| stage | share | µs/row | µs/row while the sender ran ({counts['before']} samples) | µs/row after ({counts['after']}) |")
        print("|---|---:|---:|---:|---:|")
    for stage, c in sorted(by_stage.items(), key=lambda kv: -sum(kv[1].values())):
        n = sum(c.values())
        cells = f"| {stage} | {100 * n / total:.1f} % | {n * per_sample:.2f} |"
        if split is not None:
            cells += f" {c['before'] * per_sample:.2f} | {c['after'] * per_sample:.2f} |"
        print(cells)
    print("by thread:")
    for comm, n in by_thread.most_common(10):
        print(f"  {100 * n / total:5.1f} %  {comm}")
    print("largest runtime/other frames (first frame outside the kernel):")
    for name, n in other.most_common(12):
        print(f"  {100 * n / total:5.1f} %  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
