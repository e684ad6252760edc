#!/usr/bin/env python3
"""What the sink's database sessions were doing during a bench run (scripts/bench.sh --pg-activity).

Reads pg_stat_activity samples (pid|state|wait_event_type|wait_event|query, one block per sample, blocks separated by
a line '--') and prints, between the first and the last sample in which a COPY into logs was active, how often no
such COPY ran (the database's copy backend had nothing to do) and what the sessions were doing, by state, wait
event and statement.
"""
import collections
import sys


def main(path):
    blocks, block = [], []
    with open(path, encoding="utf-8", errors="replace") as samples:
        for line in samples:
            line = line.rstrip("\n")
            if line == "--":
                blocks.append(block)
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
    main(sys.argv[1])
