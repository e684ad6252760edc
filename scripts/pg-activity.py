#!/usr/bin/env python3
"""What the sink's database sessions were doing during a bench run (scripts/bench.sh --pg-activity).

Reads pg_stat_activity samples (pid|state|wait_event_type|wait_event|query, one block per sample, each block ended by
a line '--|<epoch seconds>') taken from the start of the send to the last row's commit (the optional second
argument: the epoch second the sender connected, from which the times are counted), and prints when the first and
the last COPY into logs were seen, how often no such COPY ran between them (the database's copy backend had nothing
to do) and what the sessions were doing, by state, wait event and statement.
"""
import collections
import sys


def main(path, send_start=None):
    blocks, block, times = [], [], []
    with open(path, encoding="utf-8", errors="replace") as samples:
        for line in samples:
            line = line.rstrip("\n")
            if line.startswith("--|"):
                blocks.append(block)
                times.append(float(line[3:]))
                block = []
                continue
            fields = line.split("|")
            if len(fields) >= 5:
                block.append(fields)

    def copying(sample):
        return any(f[1] == "active" and f[4].startswith("COPY logs") for f in sample)

    marked = [i for i, sample in enumerate(blocks) if copying(sample)]
    if not marked:
        print("pg-activity: no active COPY into logs was sampled")
        return
    window = blocks[marked[0]:marked[-1] + 1]
    idle = sum(1 for sample in window if not copying(sample))
    # The send starts when the sender connects (bench.sh passes that time); the sampling began before its process.
    start = float(send_start) if send_start else times[0]
    first, last, end = times[marked[0]], times[marked[-1]], times[-1]
    print(f"pg-activity: from the start of the send, the first COPY into logs at {first - start:.2f} s, the last at "
          f"{last - start:.2f} s, sampling ended at {end - start:.2f} s")
    print(f"pg-activity: {len(window)} samples from the first to the last active COPY into logs; "
          f"no COPY running in {idle} ({100.0 * idle / len(window):.1f} %)")
    states = collections.Counter()
    for sample in window:
        for pid, state, wait_type, wait, query in (f[:5] for f in sample):
            if state != "idle":
                states[(state, wait_type if wait_type else "-", wait if wait else "-", query)] += 1
    for (state, wait_type, wait, query), count in states.most_common(15):
        print(f"  {count:6d}  {state:<20} {wait_type + '/' + wait:<28} {query}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
