#!/usr/bin/env python3
"""timeline.py: how much of a run had only one thread working, and on what.

Reads `perf script -F tid,time,ip,sym` output of a perf record with call
graphs (-g), cuts the samples into bins (1 ms by default) and counts the
bins in which exactly one thread did work. Samples in spin and sleep frames
(forkjoin's waiting helpers, sched_yield, futex, the scheduler) count as
idle. The one-thread bins are attributed to the first colorize frames of
their samples.

    go test -c -tags openblas -o /tmp/unet.test ./internal/unet
    (cd internal/unet && perf record -F 2000 -g -o /tmp/perf.data /tmp/unet.test \\
        -test.run '^$' -test.bench '^BenchmarkInfer/512$' -test.benchtime 10x)
    perf script -i /tmp/perf.data -F tid,time,ip,sym > /tmp/perf.txt
    /usr/bin/python3 bench/timeline.py /tmp/perf.txt --window 'internal/nn.'

--window FRAME limits the count to the span between the first and the last
sample with FRAME in its stack ('internal/nn.': the graph's ops running,
leaving out building the network). At -F 2000 a busy thread leaves about two samples per 1 ms bin.
"""
import argparse
import collections
import re

# Where a thread waits: colorize's spin loops, and the scheduler's and the
# kernel's sleeping and yielding (when no colorize frame is on the stack).
WAITING = ("forkjoin.(*helper).loop", "forkjoin.(*task).wait", "gemm.(*barrier).wait")
SCHEDULER = ("sched_yield", "futex", "runtime.mcall", "runtime.park_m", "runtime.schedule",
             "runtime.findRunnable", "runtime.stopm", "runtime.usleep", "epoll_wait")


def read(path):
    """Yields (tid, time, frames) per sample, frames leaf first."""
    cur = None
    head = re.compile(r"\s*(\d+)\s+([\d.]+):")
    with open(path) as f:
        for line in f:
            if not line.strip():
                if cur:
                    yield cur
                cur = None
                continue
            m = head.match(line)
            if m:
                cur = (int(m.group(1)), float(m.group(2)), [])
            elif cur is not None:
                parts = line.split(None, 1)
                cur[2].append(parts[1].strip() if len(parts) > 1 else "?")
    if cur:
        yield cur


def idle(frames):
    """Whether the sample's thread was waiting: its innermost colorize frame
    is a spin loop (a helper running a task has the loop further out), or
    there is none and the scheduler or the kernel is parking it."""
    for f in frames:
        if "colorize" in f:
            return any(w in f for w in WAITING)
    return any(k in f for f in frames for k in SCHEDULER)


def where(frames, depth):
    names = [f.split("internal/")[-1] for f in frames if "colorize" in f]
    return " < ".join(n[:48] for n in names[:depth]) or (frames[0] if frames else "?")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("perf_script")
    ap.add_argument("--window", default="", help="frame that marks the span to count")
    ap.add_argument("--bin-ms", type=float, default=1.0)
    ap.add_argument("--depth", type=int, default=3, help="frames per attribution")
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()

    samples = list(read(a.perf_script))
    if not samples:
        raise SystemExit(f"{a.perf_script}: no samples (perf script -F tid,time,ip,sym of a record with -g)")
    marked = [s for s in samples if not a.window or any(a.window in f for f in s[2])]
    if not marked:
        raise SystemExit(f"{a.perf_script}: no sample has {a.window!r} in its stack")
    lo, hi = min(s[1] for s in marked), max(s[1] for s in marked)
    width = a.bin_ms / 1000
    bins = collections.defaultdict(list)
    for s in samples:
        if lo <= s[1] <= hi:
            bins[int((s[1] - lo) / width)].append(s)
    n = int((hi - lo) / width) + 1
    none = one = 0
    blame = collections.Counter()
    for i in range(n):
        busy = [s for s in bins.get(i, []) if not idle(s[2])]
        threads = {s[0] for s in busy}
        if not threads:
            none += 1
        elif len(threads) == 1:
            one += 1
            for s in busy:
                blame[where(s[2], a.depth)] += 1
    print(f"span {hi - lo:.3f} s in {n} bins of {a.bin_ms:g} ms: "
          f"{one} with one busy thread ({100 * one / n:.1f}%), {none} with none")
    total = sum(blame.values())
    for w, c in blame.most_common(a.top):
        print(f"{100 * c / total:6.1f}%  {w}")


if __name__ == "__main__":
    main()
