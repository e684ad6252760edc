#!/usr/bin/env python3
"""CPU of the daemon by pipeline stage, from a dotnet-trace sampled thread-time profile (speedscope JSON).

usage: trace-stages.py TRACE.speedscope.json CPU_SECONDS ROWS [--threads TID,...] [--unit NAME]

--threads keeps only the samples of those threads (the OS thread ids dotnet-trace names its profiles by), and
CPU_SECONDS is then their CPU alone; --unit names what ROWS counts (default "row").

dotnet-trace samples every managed thread's stack about 100 times a second, running or not. Each sample is given to
the stage of its deepest frame that names one (so an HMAC inside a spool append counts as the MAC, not the append);
samples of threads that only wait (an idle thread-pool worker, the socket event loop in epoll, a blocked fsync) are
set aside (and so is a thread asleep on a lock). The remaining samples are taken as the CPU's distribution, and scaled to the CPU seconds bench.sh measured
from /proc, giving µs per row per stage. It is an estimate: a thread spinning on a lock counts as its stage, and
native work outside any managed frame of ours (the GC's, the kernel's socket work) lands in "runtime/other".
A UDP receive thread inside recvmmsg (or the one-datagram receive) is set aside too: the profile cannot tell it
blocked, waiting for a datagram, from copying one in the kernel, so that time is read from /proc as the threads'
system time instead (scripts/bench.sh does), and the stages here divide their user time.
"""
import argparse
import json
import sys
from collections import Counter

# (stage, substrings of a frame name); the deepest frame matching any entry decides the stage.
STAGES = [
    ("spool fsync (blocked, not CPU)", ["FlushToDisk"]),
    ("spool MAC", ["RecordMac", "IncrementalHash", "HMAC", "HmacHashProvider", "Crypto.Hmac", "Blake3"]),
    ("spool write() to the OS", ["SpoolWriter.WriteBuffer", "RandomAccess.Write"]),
    ("spool replay read + check", ["SegmentReader", "SpoolReplayer", "RandomAccess.Read"]),
    ("lock contention (spinning for a lock, waking its sleepers)", ["Monitor.Enter_Slowpath", "Monitor.Exit_Slowpath"]),
    ("spool append (lock, copy, number)", ["SpoolWriter", "MessageSpool", "SpoolRecord", "SegmentLedger"]),
    ("channel hops and budget", ["HandOffSwitch", "MessageQueueBudget", "BoundedChannel", "TakeBlock",
                                 "ChunkReorderBuffer", "SingleConsumerUnboundedChannel", "AsyncOperation"]),
    ("receive: framing", ["SyslogFrameDecoder"]),
    ("receive: UDP datagram checks (source, size, trailer, node)", ["UdpSyslogListener", "SourceFilter",
                                                                    "NodeIdentityResolver", "UdpBatchReceiver.Peer"]),
    ("receive: socket, pipe, copy", ["SyslogStreamHandler", "StreamConnection", "FrameBatch", "System.IO.Pipelines", "NetworkStream",
                                     "ReceivedMessage.Copy", "Socket"]),
    ("parse: dimension cache lookups", ["DimensionCache.TryGetId", "DimensionCache", "Utf8KeyTable"]),
    ("parse: syslog + xray + record", ["XraySyslogSink.Syslog.", "XraySyslogSink.Xray.", "AccessRecordBuilder",
                                       "InetValue", "ParserWorkers"]),
    ("writer: dimension resolve", ["DimensionResolver", "NewValueLimit"]),
    ("writer: COPY encoding", ["CopyRowEncoder", "LogCopier", "NpgsqlBinaryImporter", "PlanRows", "SourceAddressCache"]),
    ("writer: Npgsql I/O and protocol", ["Npgsql"]),
    ("writer: batching", ["BatchingWriter", "PostgresLogStore", "RecordChunk"]),
    ("metrics", ["SinkMetrics", "OpenTelemetry", "Prometheus", "LineCounts", "UdpReceiveTally"]),
    ("GC", ["GarbageCollect", "GCHeap", "gc_heap"]),
]

# Leaf frames of a thread that is waiting rather than running.
WAITING = ["LowLevelLifoSemaphore", "WaitHandle.Wait", "WaitOneNoCheck", "Monitor.Wait", "Thread.Sleep",
           "WaitForSocketEvents", "SocketAsyncEngine.EventLoop", "TimerQueue", "WaitSubsystem", "LowLevelMonitor",
           "ManualResetEventSlim.Wait", "SemaphoreSlim.Wait", "Thread.Join", "Console", "PosixSignal",
           "SystemdNotifier", "HttpListener", "WaitForSignal", "ThreadPoolWorkQueue.Dispatch",
           # The finalizer thread keeps the stack of its last finalizer while it sleeps.
           "Finalize", "GateThreadStart"]

# A thread stopped at a GC poll waits for the collection; the collection's own work is not in managed frames.
GC_WAIT = ["PollGC"]

# A receive thread in the receive system call: blocked or in the kernel, which the samples cannot tell apart.
IN_RECEIVE_CALL = ["UdpBatchReceiver.ReceiveBatch", "UdpBatchReceiver.ReceiveOne", "RecvMmsg", "ReceiveFrom"]

# A thread in the lock's slow path outside managed code is asleep on the lock (its spinning shows as CPU_TIME).
LOCK_SLEEP = "Monitor.Enter_Slowpath"


def stage_of(names):
    for name in reversed(names):
        # "module!Namespace.Type.Method(arguments)": the arguments name our types too, so only the method counts.
        name = name.split("(")[0]
        for stage, parts in STAGES:
            if any(p in name for p in parts):
                return stage
    return None


def in_receive_call(names):
    # The native part of the receive call: its frame is the deepest managed one, under it only the runtime's
    # stand-ins for unmanaged time.
    managed = [n for n in names if "!" in n]
    return bool(managed) and any(r in managed[-1] for r in IN_RECEIVE_CALL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("cpu_seconds", type=float)
    parser.add_argument("rows", type=int)
    parser.add_argument("--threads", default="")
    parser.add_argument("--unit", default="row")
    args = parser.parse_args()
    path, cpu_seconds, rows, unit = args.trace, args.cpu_seconds, args.rows, args.unit
    threads = {f"Thread ({t})" for t in args.threads.split(",") if t}
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    frames = [fr["name"] for fr in doc["shared"]["frames"]]
    time_by_stage = Counter()
    other_leaves = Counter()
    waiting = 0.0
    in_call = 0.0
    lock_sleep = 0.0
    for profile in doc["profiles"]:
        if threads and profile.get("name") not in threads:
            continue
        stack = []
        last = None
        for ev in profile["events"]:
            at = ev["at"]
            if last is not None and stack and at > last:
                names = [frames[i] for i in stack]
                dt = at - last
                leaf = " ".join(n.split("(")[0] for n in names[-3:])
                stage = None if any(w in leaf for w in WAITING) else stage_of(names)
                if any(g in leaf for g in GC_WAIT):
                    stage = "GC (threads held at a GC poll)"
                if in_receive_call(names):
                    in_call += dt
                elif names[-1] == "UNMANAGED_CODE_TIME" and len(names) > 1 and LOCK_SLEEP in names[-2]:
                    lock_sleep += dt
                elif stage is None and any(w in leaf for w in WAITING):
                    waiting += dt
                elif stage is not None and stage.endswith("(blocked, not CPU)"):
                    waiting += dt
                elif stage is None:
                    if any(w in n for n in names for w in WAITING):
                        waiting += dt
                    else:
                        time_by_stage["runtime/other"] += dt
                        other_leaves[names[-1] if len(names) < 2 else names[-2] + " > " + names[-1]] += dt
                else:
                    time_by_stage[stage] += dt
            if ev["type"] == "O":
                stack.append(ev["frame"])
            elif stack:
                stack.pop()
            last = at
    busy = sum(time_by_stage.values())
    if busy <= 0 or rows <= 0:
        print("trace-stages: no running samples", file=sys.stderr)
        return 1
    us_per_row = cpu_seconds * 1e6 / rows
    whose = f"threads {args.threads}" if threads else "daemon"
    print(f"{whose} CPU by stage ({cpu_seconds:.2f} CPU s over {rows} {unit}s = {us_per_row:.2f} µs/{unit}; "
          f"{busy / 1000:.1f} s of running samples, {waiting / 1000:.1f} s waiting, {lock_sleep / 1000:.1f} s asleep on a "
          f"lock and {in_call / 1000:.1f} s in the receive system call set aside)")
    print(f"| stage | share | µs/{unit} |")
    print(f"|---|---:|---:|")
    for stage, t in time_by_stage.most_common():
        print(f"| {stage} | {100 * t / busy:.1f} % | {us_per_row * t / busy:.2f} |")
    print("largest runtime/other frames:")
    for leaf, t in other_leaves.most_common(12):
        print(f"  {100 * t / busy:5.1f} %  {leaf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
