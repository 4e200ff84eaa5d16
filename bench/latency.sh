#!/bin/sh
# Runs wwlatency over every capture that has ground truth: pcaps/NAME.truth.json
# (capture: pcaps/NAME), and ../shared/pcaps/scenarios/NAME.truth.json (capture:
# NAME.pcap next to it) when that folder exists. Builds nothing.
#
#   bench/latency.sh build/bench/wwlatency
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 PATH/TO/wwlatency" >&2
    exit 2
fi
binary=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
scenarios="$repo/../shared/pcaps/scenarios"

set --
for truth in "$repo"/pcaps/*.truth.json; do
    [ -e "$truth" ] || continue
    set -- "$@" "${truth%.truth.json}" "$truth"
done
if [ -d "$scenarios" ]; then
    for truth in "$scenarios"/*.truth.json; do
        [ -e "$truth" ] || continue
        set -- "$@" "${truth%.truth.json}.pcap" "$truth"
    done
fi
exec "$binary" "$@"
