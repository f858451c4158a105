#!/usr/bin/env bash
# Serving from disk: start-up, memory and throughput of a built collection,
# with a small and a large cache, and (--cgroup) inside a memory cgroup.
#
#   bench/residency.sh [synthetic-1m|fashion-mnist] [--cgroup MIB] [--peer BIN]
#
# Without --cgroup, in one run: generate the set (synthetic-1m: 1M x 128,
# 1000 clusters, exact truth; fashion-mnist comes from $VECDB_DATA), import
# it, build it, then report
#   - wall time and peak RSS of `vecdb list` and of a one-query
#     `vecdb search --nprobe 8`: medians of 5 fresh processes each,
#     interleaved, after one untimed search (warm page cache);
#   - `vecdb bench` recall@10 and QPS (one query at a time) at nprobe 4 to
#     256 with --cache 64MiB and with --cache 4GiB, each run after an
#     untimed pass over the 1,000 queries (--warmup 1000: a fresh process
#     maps the pages of the vector file its queries touch), with the
#     process's peak RSS.
# --peer BIN also times list and search with another vecdb binary on a
# database it imports and builds itself (e.g. the previous release).
#
# With --cgroup MIB (root; cgroup v1 memory controller, or v2): import,
# build and bench run inside a memory cgroup capped at MIB (page cache
# counts against it; no swap here). Each step reports its wall time, the
# cgroup's peak usage and whether the kernel's OOM killer ran; bench runs
# with the default cache, which the cap sets to half of it.
#
# Work files go to $OUT (default /tmp/vecdb-residency).
set -euo pipefail
cd "$(dirname "$0")/.."
set_name=synthetic-1m cgroup_mib="" peer=""
while [ $# -gt 0 ]; do
	case $1 in
	synthetic-1m | fashion-mnist) set_name=$1 ;;
	--cgroup) cgroup_mib=${2:?--cgroup MIB}; shift ;;
	--peer) peer=${2:?--peer BIN}; shift ;;
	*) echo "usage: bench/residency.sh [synthetic-1m|fashion-mnist] [--cgroup MIB] [--peer BIN]" >&2; exit 2 ;;
	esac
	shift
done
DATA=${VECDB_DATA:-$PWD/../shared/data}
OUT=${OUT:-/tmp/vecdb-residency}
mkdir -p "$OUT"
go build -o "$OUT/vecdb" ./cmd/vecdb
PY=python3
case $set_name in
synthetic-1m)
	[ -f "$OUT/synth1m/truth.ivecs" ] || go run ./internal/gendata -n 1000000 -dim 128 -out "$OUT/synth1m"
	base=$OUT/synth1m/base.fvecs queries=$OUT/synth1m/queries.fvecs truth=$OUT/synth1m/truth.ivecs
	dim=128 nprobe=4,8,16,32,64,128,256 ;;
fashion-mnist)
	f=$DATA/fashion-mnist
	base=$f/fashion-mnist_train.bvecs.gz queries=$f/fashion-mnist_test.bvecs.gz
	truth=$f/fashion-mnist_test_groundtruth_l2_top100.ivecs
	dim=784 nprobe=4,8,16,32,64,128,256 ;;
esac
qvec=$($PY -c "print(','.join(['0.1']*$dim))")

# median FILE COLUMN: the median of a whitespace-separated column.
median() { $PY -c "import statistics,sys; print(statistics.median(float(l.split()[$2]) for l in open(sys.argv[1]) if l.strip()))" "$1"; }

# setup BIN DB: create, import and build, reporting time and peak RSS.
setup() {
	local bin=$1 db=$2
	rm -rf "$db"
	"$bin" --db "$db" create bench --dim $dim >/dev/null
	/usr/bin/time -f "  import: %e s, peak RSS %M KB" "$bin" --db "$db" import bench "$base" | sed 's/^/  /'
	/usr/bin/time -f "  build: %e s, peak RSS %M KB" "$bin" --db "$db" build bench | sed 's/^/  /'
}

# startup BIN DB LABEL: medians of 5 interleaved fresh processes of list
# and of a one-query search.
startup() {
	local bin=$1 db=$2 label=$3 t
	t=$(mktemp -d)
	"$bin" --db "$db" search bench --vector "$qvec" --nprobe 8 >/dev/null # warm the page cache
	for _ in 1 2 3 4 5; do
		/usr/bin/time -a -o "$t/list" -f "%e %M" "$bin" --db "$db" list >/dev/null
		/usr/bin/time -a -o "$t/search" -f "%e %M" "$bin" --db "$db" search bench --vector "$qvec" --nprobe 8 >/dev/null
	done
	printf "  %s: list %.3f s (peak RSS %.0f MB), one-query search %.3f s (peak RSS %.0f MB), medians of 5\n" "$label" \
		"$(median "$t/list" 0)" "$(echo "$(median "$t/list" 1) / 1024" | bc -l)" \
		"$(median "$t/search" 0)" "$(echo "$(median "$t/search" 1) / 1024" | bc -l)"
	rm -rf "$t"
}

# bench CACHE: the runs, each after a warm-up pass.
bench() {
	/usr/bin/time -f "  peak RSS %M KB (whole process)" "$OUT/vecdb" --db "$OUT/$set_name.db" --cache "$1" bench bench \
		--queries "$queries" --truth "$truth" --nprobe $nprobe --warmup 1000 2>&1 | sed 's/^/  /'
}

if [ -z "$cgroup_mib" ]; then
	echo "== $set_name: import and build"
	setup "$OUT/vecdb" "$OUT/$set_name.db"
	"$OUT/vecdb" --db "$OUT/$set_name.db" stats bench | sed 's/^/  /'
	echo "== start-up (warm page cache)"
	startup "$OUT/vecdb" "$OUT/$set_name.db" "vecdb"
	if [ -n "$peer" ]; then
		setup "$peer" "$OUT/$set_name.peer.db"
		startup "$peer" "$OUT/$set_name.peer.db" "peer $peer"
	fi
	for cache in 64MiB 4GiB; do
		echo "== vecdb bench --cache $cache"
		bench $cache
	done
	exit 0
fi

# In a memory cgroup.
if [ -d /sys/fs/cgroup/memory ]; then
	CG=/sys/fs/cgroup/memory/vecdb-residency
	mkdir -p $CG
	echo $((cgroup_mib << 20)) >$CG/memory.limit_in_bytes
	peak() { echo $(($(cat $CG/memory.max_usage_in_bytes) >> 20)); }
	reset() { echo 0 >$CG/memory.max_usage_in_bytes; }
	ooms() { awk '/oom_kill /{print $2}' $CG/memory.oom_control; }
elif grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	CG=/sys/fs/cgroup/vecdb-residency
	mkdir -p $CG
	echo $((cgroup_mib << 20)) >$CG/memory.max
	peak() { [ -f $CG/memory.peak ] && echo $(($(cat $CG/memory.peak) >> 20)) || echo "?"; }
	reset() { :; }
	ooms() { awk '/oom_kill /{print $2}' $CG/memory.events; }
else
	echo "no cgroup memory controller found" >&2
	exit 1
fi
# incg CMD...: run CMD inside the cgroup.
incg() { sh -c 'echo $$ >'"$CG"'/cgroup.procs && exec "$@"' sh "$@"; }
step() {
	local name=$1
	shift
	reset
	local before=$(ooms) start=$(date +%s.%N)
	incg "$@" | sed 's/^/  /'
	local rc=${PIPESTATUS[0]}
	printf "  %s: %.1f s, cgroup peak %s MiB of %s, OOM kills %s, exit %s\n" "$name" \
		"$(echo "$(date +%s.%N) - $start" | bc -l)" "$(peak)" "$cgroup_mib" "$(($(ooms) - before))" "$rc"
}
echo "== $set_name inside a $cgroup_mib MiB memory cgroup ($CG)"
sync && echo 1 >/proc/sys/vm/drop_caches
db=$OUT/$set_name.cg.db
rm -rf "$db"
"$OUT/vecdb" --db "$db" create bench --dim $dim >/dev/null
step import "$OUT/vecdb" --db "$db" import bench "$base"
step build "$OUT/vecdb" --db "$db" build bench
step bench "$OUT/vecdb" --db "$db" bench bench --queries "$queries" --truth "$truth" --nprobe $nprobe --warmup 1000
