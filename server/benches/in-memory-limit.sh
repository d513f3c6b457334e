#!/usr/bin/env bash
# Runs a command under a memory limit that it sees where a container sees its own (as in a
# container started with `--memory`), to check that the server lives within it. Needs root
# (cgroup v1 or v2).
#
#   server/benches/in-memory-limit.sh 512M target/release/deps/ingest-… --events 100000
set -euo pipefail
limit=$(numfmt --from=iec "$1")
shift
if [ -d /sys/fs/cgroup/memory ]; then # cgroup v1
    root=/sys/fs/cgroup/memory
    group=$root/helpdesk-bench
    mkdir -p "$group"
    echo "$limit" > "$group/memory.limit_in_bytes"
else # cgroup v2
    root=/sys/fs/cgroup
    group=$root/helpdesk-bench
    mkdir -p "$group"
    echo "$limit" > "$group/memory.max"
fi
echo $$ > "$group/cgroup.procs"
exec unshare --mount bash -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' _ "$group" "$root" "$@"
