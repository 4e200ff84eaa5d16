#!/usr/bin/env bash
# Throughput of wormwatch against the physical limit through libpcap: a loop
# that only reads every packet and touches its bytes (bench/bare_loop.c,
# wwbare), the same loop touching only the record headers (wwbare
# --count-only), and the loop through stdio's default 4 KiB buffer instead of
# the 256 KiB one both use (wwbare --stdio-default: what the buffer is worth).
# docs/benchmark.md explains the figures and keeps today's.
#
#   bench/throughput.sh BUILD_DIR [PACKETS]
#
# Builds nothing: it runs BUILD_DIR/wwgen, BUILD_DIR/bench/wwbare and
# BUILD_DIR/wormwatch, so build them first, as a Release build for figures
# worth quoting:
#
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel -j
#   bench/throughput.sh build-rel
#
# PACKETS (default 5000000; CI uses 50000) is the size of the capture that
# `wwgen --bench` writes into a temporary folder under ${TMPDIR:-/tmp} (about
# 830 bytes a packet: 4.2 GB at 5 million). With WW_BENCH_CAPTURE=FILE that
# capture is used instead and nothing is generated (PACKETS is then ignored).
#
# The file is read once to warm the page cache, then the bare loop and
# `wormwatch -r FILE -o /dev/null` run WW_BENCH_RUNS times each (default 3,
# alternating; the headers-only loop too); the best wall time of each counts. Peak RSS comes from
# /usr/bin/time -f %M (installed with apt-get when missing and we are root).
# Instructions per packet come from `perf stat -e instructions` when the
# machine exposes that counter, else from valgrind --tool=callgrind on the
# first WW_BENCH_SLICE packets (default 200000), both less the instructions of
# the same program on an empty capture (its start-up).
#
# A benchmark, not a test: the exit code is 0 unless something fails to run.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 BUILD_DIR [PACKETS]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
packets=${2:-5000000}
runs=${WW_BENCH_RUNS:-3}
slice=${WW_BENCH_SLICE:-200000}
wwgen=$build/wwgen
wwbare=$build/bench/wwbare
wormwatch=$build/wormwatch
for tool in "$wwbare" "$wormwatch"; do
    [ -x "$tool" ] || { echo "$0: $tool is missing: build it first" >&2; exit 1; }
done
[ -n "${WW_BENCH_CAPTURE:-}" ] || [ -x "$wwgen" ] ||
    { echo "$0: $wwgen is missing: build it first" >&2; exit 1; }

cache_value() { # NAME: its value in BUILD_DIR/CMakeCache.txt, if any
    sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" 2>/dev/null | head -n 1
}
build_type=$(cache_value CMAKE_BUILD_TYPE)
sanitized=$(cache_value WW_SANITIZE)

now() { # wall clock, in seconds
    if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/wwbench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- peak RSS: /usr/bin/time, installed if need be ----
if [ ! -x /usr/bin/time ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing time (for peak RSS)..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1; } || true
fi
have_time=false
[ -x /usr/bin/time ] && have_time=true

# ---- the capture ----
if [ -n "${WW_BENCH_CAPTURE:-}" ]; then
    capture=$WW_BENCH_CAPTURE
    [ -r "$capture" ] || { echo "$0: cannot read $capture" >&2; exit 1; }
    origin="WW_BENCH_CAPTURE"
else
    capture=$work/bench.pcap
    start=$(now)
    "$wwgen" --bench "$capture" "$packets" >"$work/wwgen.out"
    origin=$(awk -v s="$start" -v e="$(now)" -v n="$packets" \
        'BEGIN { printf "wwgen --bench FILE %d, generated in %.1f s", n, e - s }')
fi
size=$(wc -c <"$capture" | tr -d ' ')
cat "$capture" >/dev/null # warm the page cache

# ---- timed runs: RUN NAME OUTFILE COMMAND... (wall seconds and RSS appended to $work/NAME.runs) ----
run() {
    local name=$1 out=$2; shift 2
    local start end rss=NA status=0
    start=$(now)
    if $have_time; then
        /usr/bin/time -f %M -o "$work/rss" "$@" >"$out" 2>"$work/$name.err" || status=$?
    else
        "$@" >"$out" 2>"$work/$name.err" || status=$?
    fi
    end=$(now)
    if [ $status -ne 0 ]; then
        echo "$0: $name failed (exit $status):" >&2
        cat "$work/$name.err" >&2
        exit 1
    fi
    $have_time && rss=$(tail -n 1 "$work/rss")
    echo "$start $end $rss" | awk '{ printf "%.6f %s\n", $2 - $1, $3 }' >>"$work/$name.runs"
}
for _ in $(seq "$runs"); do
    run bare "$work/bare.out" "$wwbare" "$capture"
    run headers "$work/headers.out" "$wwbare" --count-only "$capture"
    run stdio "$work/stdio.out" "$wwbare" --stdio-default "$capture"
    run wormwatch /dev/null "$wormwatch" -r "$capture" -o /dev/null
done
counted=$(awk '{ print $2 }' "$work/bare.out")
[ -n "${WW_BENCH_CAPTURE:-}" ] || [ "$counted" = "$packets" ] ||
    { echo "$0: wwbare read $counted packets, wwgen wrote $packets" >&2; exit 1; }

# ---- instructions per packet ----
# COUNT_WITH METHOD FILE COMMAND...: instructions the command executes on FILE
count_instructions() {
    local method=$1 file=$2; shift 2
    case $method in
    perf)
        perf stat -x, -e instructions -o "$work/perf.out" -- "$@" "$file" >/dev/null 2>&1 || return 1
        awk -F, '$3 ~ /^instructions/ && $1 ~ /^[0-9]+$/ { print $1; found = 1 } END { exit !found }' \
            "$work/perf.out"
        ;;
    callgrind)
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" "$file" \
            >/dev/null 2>"$work/callgrind.err" || return 1
        awk '/Collected :/ { print $NF; found = 1 } END { exit !found }' "$work/callgrind.err"
        ;;
    esac
}
method=none
instr_note=""
if perf stat -x, -e instructions -o "$work/perf.out" -- true >/dev/null 2>&1 &&
   awk -F, '$3 ~ /^instructions/ && $1 ~ /^[0-9]+$/ { ok = 1 } END { exit !ok }' "$work/perf.out"; then
    method=perf
elif [ "$sanitized" = ON ]; then
    instr_note="not counted: no perf counters here, and valgrind cannot run a sanitizer build"
elif command -v valgrind >/dev/null; then
    method=callgrind
else
    instr_note="not counted: no perf counters here and no valgrind"
fi
ipp_bare=NA ipp_ww=NA ipp_headers=NA
if [ "$method" != none ]; then
    measured=$capture measured_packets=$counted
    if [ "$method" = callgrind ] && [ "$counted" -gt "$slice" ]; then
        measured=$work/slice.pcap
        if command -v tcpdump >/dev/null; then
            tcpdump -r "$capture" -w "$measured" -c "$slice" 2>/dev/null
            instr_note="valgrind callgrind on the first $slice packets (tcpdump -c)"
        elif [ -z "${WW_BENCH_CAPTURE:-}" ]; then
            "$wwgen" --bench "$measured" "$slice" >/dev/null
            instr_note="valgrind callgrind on a $slice-packet capture of the same story"
        else
            measured=$capture
            instr_note="valgrind callgrind on the whole capture (no tcpdump to cut it)"
        fi
        [ "$measured" = "$capture" ] || measured_packets=$slice
    elif [ "$method" = callgrind ]; then
        instr_note="valgrind callgrind on the whole capture"
    else
        instr_note="perf stat -e instructions on the whole capture"
    fi
    # Start-up (libraries, rules) is counted on an empty capture: the header
    # of a classic pcap alone. Other formats keep it in the figure.
    empty=""
    case $(od -An -tx1 -N4 "$measured" | tr -d ' \n') in
    d4c3b2a1 | a1b2c3d4 | 4d3cb2a1 | a1b23c4d)
        empty=$work/empty.pcap
        head -c 24 "$measured" >"$empty"
        instr_note="$instr_note, less start-up (same program on an empty capture)"
        ;;
    *) instr_note="$instr_note, start-up included" ;;
    esac
    per_packet() { # COMMAND...
        local total base=0
        total=$(count_instructions "$method" "$measured" "$@") || return 1
        [ -z "$empty" ] || base=$(count_instructions "$method" "$empty" "$@") || return 1
        awk -v t="$total" -v b="$base" -v n="$measured_packets" 'BEGIN { printf "%.0f", (t - b) / n }'
    }
    ipp_bare=$(per_packet "$wwbare") || { ipp_bare=NA; instr_note="$instr_note; the bare loop's count failed"; }
    ipp_headers=$(per_packet "$wwbare" --count-only) || ipp_headers=NA
    ipp_ww=$(per_packet "$wormwatch" -o /dev/null -r) ||
        { ipp_ww=NA; instr_note="$instr_note; wormwatch's count failed"; }
fi

# ---- report ----
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "wormwatch throughput benchmark"
echo "machine:   $(nproc 2>/dev/null || echo '?') CPUs, ${cpu:-unknown CPU}, $(uname -sr)"
echo "build:     $build (CMAKE_BUILD_TYPE=${build_type:-unset}${sanitized:+, WW_SANITIZE=$sanitized})"
if [ "$build_type" != Release ]; then
    echo "           not a Release build: the figures understate wormwatch; see docs/benchmark.md"
fi
echo "capture:   $capture ($origin)"
echo "           $counted packets, $size bytes, $(awk -v b="$size" -v n="$counted" \
    'BEGIN { printf "%.0f", n ? b / n : 0 }') bytes/packet in the file"
[ -s "$work/wwgen.out" ] && sed -n 's/^[^:]*: [0-9]* packets, [0-9]* bytes, /           /p' "$work/wwgen.out"
echo
awk -v runs="$runs" -v size="$size" -v n="$counted" -v ipp_bare="$ipp_bare" -v ipp_ww="$ipp_ww" \
    -v ipp_headers="$ipp_headers" -v headers_file="$work/headers.runs" \
    -v stdio_file="$work/stdio.runs" \
    -v bare_file="$work/bare.runs" -v ww_file="$work/wormwatch.runs" '
function load(file, best_name, rss_name,    line, f) {
    best[best_name] = -1; rss[rss_name] = "NA"
    while ((getline line < file) > 0) {
        split(line, f, " ")
        if (best[best_name] < 0 || f[1] + 0 < best[best_name]) best[best_name] = f[1] + 0
        if (f[2] != "NA" && (rss[rss_name] == "NA" || f[2] + 0 > rss[rss_name] + 0)) rss[rss_name] = f[2]
    }
}
function grouped(x,    s, out) {
    s = sprintf("%.0f", x); out = ""
    while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
    return s out
}
function row(label, key, ipp) {
    printf "%-19s %10.3f %13s %9.2f %11s %15s\n", label, best[key], grouped(n / best[key]),
           size * 8 / best[key] / 1e9, rss[key] == "NA" ? "n/a" : grouped(rss[key]) " KB",
           ipp == "NA" ? "n/a" : grouped(ipp)
}
BEGIN {
    load(bare_file, "bare", "bare"); load(ww_file, "ww", "ww"); load(headers_file, "headers", "headers")
    load(stdio_file, "stdio", "stdio")
    printf "%-19s %10s %13s %9s %11s %15s\n", "best of " runs, "seconds", "packets/s", "Gbit/s",
           "peak RSS", "instr/packet"
    row("bare libpcap loop", "bare", ipp_bare)
    row("  headers only", "headers", ipp_headers)
    row("  4 KiB stdio", "stdio", "NA")
    row("wormwatch", "ww", ipp_ww)
    printf "\nwormwatch/bare: %.2f of the bare loop'"'"'s packets/s (%.2fx its time)", \
           best["bare"] / best["ww"], best["ww"] / best["bare"]
    if (ipp_bare != "NA" && ipp_ww != "NA")
        printf "; %.2fx its instructions per packet", ipp_ww / ipp_bare
    printf "\nagainst the headers-only loop: %.2fx its time", best["ww"] / best["headers"]
    if (ipp_headers != "NA" && ipp_ww != "NA")
        printf "; %.2fx its instructions per packet", ipp_ww / ipp_headers
    printf "\nthe same bare loop through stdio'"'"'s default 4 KiB buffer (pcap_open_offline): %.2fx its time\n", \
           best["stdio"] / best["bare"]
}'
runs_of() { awk '{ printf "%s%.3f", (NR > 1 ? " " : ""), $1 }' "$work/$1.runs"; }
echo "all runs (s): bare $(runs_of bare); headers only $(runs_of headers); 4 KiB stdio $(runs_of stdio); wormwatch $(runs_of wormwatch)"
echo "instructions: ${instr_note:-not counted}"
[ "$have_time" = true ] || echo "peak RSS: not measured (no /usr/bin/time)"
