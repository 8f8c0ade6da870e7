#!/bin/sh
# Install what libgcprof needs to build, test and run its demos on Debian.
# Idempotent: packages already present are left alone, and apt-get is only
# called when something is missing.
#
#     install-deps.sh [--bench]
#
# --bench adds the peer tools `make bench` compares against (heaptrack;
# valgrind is always installed; GNU time gives bench_heap_profile.sh the peak RSS of the runs
# gcprof does not record); without them those rows are skipped with a message.
set -eu

# protobuf-c, zlib, libdw and libunwind are for heap profiles (pprof/);
# libmicrohttpd serves the metrics endpoint (http/).
# guile-3.0, ecl, poke and python3-memory-profiler are for the integration tests:
# real bdwgc programs to run under `gcprof run`, and mprof to read our
# .dat files; strace shows that loading the library changes nothing
# (tests/check_load_inert.sh).
# golang-go: go tool pprof reads our profiles, we read Go's (tests/check_pprof_go.sh).
# prometheus: a real server scrapes our metrics, and promtool checks them
# (tests/check_prometheus.sh); python3 reads its API's JSON.
# valgrind: its ms_print reads gcprof massif's files (tests/check_massif.sh);
# make bench also times massif itself.
# w3m and inkscape (with guile-3.0 and ecl): the RSS breakdown of real
# programs (tests/check_breakdown_real.sh).
# man-db (man, lexgrog) and groff-base (groff): the man pages format without
# a warning and their NAME lines parse (tests/check_man.sh).
# bash-completion: its library (_init_completion, _filedir, _command_offset),
# which gcprof's completion uses, and its pkg-config file, which tells
# configure where to install it (tests/check_completion.sh).
packages="build-essential autoconf automake libtool pkg-config make
libprotobuf-c-dev protobuf-c-compiler zlib1g-dev libdw-dev libunwind-dev libmicrohttpd-dev
libgc-dev check guile-3.0 ecl poke python3-memory-profiler strace golang-go
prometheus python3 w3m inkscape valgrind man-db groff-base bash-completion"
if [ "${1:-}" = "--bench" ]; then
    packages="$packages heaptrack time"
elif [ $# -gt 0 ]; then
    echo "usage: install-deps.sh [--bench]" >&2
    exit 2
fi

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all dependencies present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

echo "install-deps: installing$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086  # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
