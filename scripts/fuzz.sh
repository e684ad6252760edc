#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers with SharpFuzz + AFL++ (not part of CI: runs for minutes per target).
#   scripts/fuzz.sh [--minutes N] [target...]     targets: framing syslog-header xray-record (default: all)
# Installs what is missing (Debian afl++, the SharpFuzz.CommandLine dotnet tool), publishes
# tests/XraySyslogSink.Fuzz, instruments the daemon's parser namespaces with sharpfuzz, seeds every target from
# tests/XraySyslogSink.Tests/Corpus/real-lines.tsv and runs afl-fuzz on each target in turn for N minutes
# (default 10). Prints executions, paths, crashes and hangs per target and replays every crash and hang so its
# exception is shown. Work files in artifacts/fuzz/ (findings in artifacts/fuzz/findings/<target>).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
root="$(repo_root)"

minutes=10
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --minutes=*) minutes="${1#*=}"; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -eq 0 ] && targets=(framing syslog-header xray-record)
for t in "${targets[@]}"; do
  case "$t" in framing|syslog-header|xray-record) ;; *) echo "unknown target: $t" >&2; exit 2 ;; esac
done

ensure_dotnet
apt_install afl++ python3
work="$root/artifacts/fuzz"
tools="$work/tools"
bin="$work/bin"
mkdir -p "$work"
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >&2
fi

# A fresh publish every run: sharpfuzz refuses an assembly it has already instrumented.
# Crashes are replayed with an uninstrumented copy (instrumented code needs AFL++'s shared coverage map).
rm -rf "$bin" "$work/plain"
dotnet publish "$root/tests/XraySyslogSink.Fuzz/XraySyslogSink.Fuzz.csproj" -c Release -o "$bin" -nologo -v quiet >&2
cp -r "$bin" "$work/plain"
"$tools/sharpfuzz" "$bin/xraysink.dll" XraySyslogSink.Syslog XraySyslogSink.Xray XraySyslogSink.Pipeline >&2

# Seeds from the real-line corpus: the raw lines, the lines behind each syslog header the collector meets, and
# for framing, streams of several lines framed by LF, CRLF, NUL and octet counting (3 parameter bytes first,
# see FramingTarget).
python3 - "$root/tests/XraySyslogSink.Tests/Corpus/real-lines.tsv" "$work/seeds" <<'PY'
import os, shutil, sys
corpus, out = sys.argv[1], sys.argv[2]
shutil.rmtree(out, ignore_errors=True)
lines = []
header = True
for text in open(corpus, encoding="utf-8"):
    text = text.rstrip("\n")
    if not text or text.startswith("#"):
        continue
    if header:
        header = False
        continue
    lines.append(text.split("\t")[2].encode("utf-8"))
wrappers = [
    lambda m: m,
    lambda m: b"<14>1 2025-11-17T10:00:00.123456+01:00 node-1 xray - - - " + m,
    lambda m: b"<30>Jun 30 14:16:59 node-1 xray[2634]: " + m,
    lambda m: b"<30>2025-11-17T10:00:00+00:00 node-1 xray: " + m,
    lambda m: b"Thu Oct 13 07:50:16 2022 daemon.info xray[23519]: " + m,
]
def write(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)
for i, line in enumerate(lines):
    for j, wrap in enumerate(wrappers):
        write("syslog-header", f"{i:03}-{j}", wrap(line))
        write("xray-record", f"{i:03}-{j}", wrap(line))
for i in range(0, len(lines), 4):
    group = [wrappers[(i + k) % len(wrappers)](m) for k, m in enumerate(lines[i:i + 4])]
    params = bytes([0, 0x7F, i & 0xFF])
    small = bytes([200, 3, (i * 7) & 0xFF])
    write("framing", f"{i:03}-lf", params + b"".join(m + b"\n" for m in group))
    write("framing", f"{i:03}-crlf", small + b"".join(m + b"\r\n" for m in group))
    write("framing", f"{i:03}-nul", params + b"".join(m + b"\0" for m in group))
    write("framing", f"{i:03}-octet", small + b"".join(str(len(m)).encode() + b" " + m for m in group))
    write("framing", f"{i:03}-mixed", params + group[0] + b"\n" + b"".join(str(len(m)).encode() + b" " + m + b"\n" for m in group[1:]))
PY

# The SharpFuzz target is `dotnet XraySyslogSink.Fuzz.dll`: the dotnet host is not instrumented, the IL is
# (AFL_SKIP_BIN_CHECK). Containers often pipe core dumps to a handler and have no cpufreq governor; AFL++ then
# refuses to start unless told that is acceptable. No CPU binding: the machine is shared.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export AFL_FORKSRV_INIT_TMOUT=30000 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_TieredPGO=0

summary=()
for t in "${targets[@]}"; do
  findings="$work/findings/$t"
  rm -rf "$findings"
  mkdir -p "$work/findings"
  echo "== $t: $minutes min" >&2
  afl-fuzz -i "$work/seeds/$t" -o "$findings" -V "$((minutes * 60))" -t 5000 -m none \
    -- "$(command -v dotnet)" "$bin/XraySyslogSink.Fuzz.dll" "$t" > "$work/$t.afl.log" 2>&1 || {
      echo "afl-fuzz failed for $t; last lines of $work/$t.afl.log:" >&2
      tail -n 30 "$work/$t.afl.log" >&2
      exit 1
    }
  stats="$findings/default/fuzzer_stats"
  stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  line="$t: $(stat execs_done) executions ($(stat execs_per_sec)/s), $(stat corpus_count) paths, $(stat saved_crashes) crashes, $(stat saved_hangs) hangs, run $(stat run_time) s"
  summary+=("$line")
  echo "$line"
  for f in "$findings"/default/crashes/id:* "$findings"/default/hangs/id:*; do
    [ -e "$f" ] || continue
    echo "-- replay $f" >&2
    timeout 20 dotnet "$work/plain/XraySyslogSink.Fuzz.dll" "$t" "$f" 2>&1 | tail -n 15 >&2 || true
  done
done

echo "== summary"
printf '%s\n' "${summary[@]}"
