#!/bin/sh
# The committed captures must be exactly what the generator writes today:
# a change to tests/gen/wwgen.c without regenerating pcaps/ fails here.
# Usage: pcaps-up-to-date.sh WWGEN PCAPS_DIR
set -eu
wwgen=$1
pcaps=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$wwgen" "$out" >/dev/null
status=0
for f in "$out"/*; do
  name=$(basename "$f")
  if ! cmp -s "$f" "$pcaps/$name"; then
    echo "pcaps/$name differs from what wwgen writes: run 'wwgen pcaps' and commit" >&2
    status=1
  fi
done
# And the other way: a committed capture the generator no longer writes
# would go stale while tests kept reading it.
for f in "$pcaps"/*; do
  name=$(basename "$f")
  case $name in README.md | real) continue ;; esac
  if [ ! -e "$out/$name" ]; then
    echo "pcaps/$name is not written by wwgen: remove it or generate it" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "pcaps/: all $(ls "$out" | wc -l) generated files match"
exit $status
