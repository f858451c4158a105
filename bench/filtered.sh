#!/usr/bin/env bash
# Reproduces README.md's filtered-search table: a generated set (200k x 128
# by default) with an attribute u uniform in [0, 10000) (uncorrelated with
# the vectors) and pos = the sign of the first coordinate (correlated), then
# `vecdb bench --filter` at each selectivity: the planned search (default
# nprobe) against the exact filtered scan and against an unfiltered probe
# thinned by the filter (--postfilter), all with truth computed by exact
# filtered search. $BUILD_FLAGS go to vecdb build (e.g. "--codec rabitq").
# Each figure is the median of $REPS (default 5) runs,
# interleaved, and the ratios the median of each run's ratios, since the
# machines this runs on are shared and drift from minute to minute. Work files go
# to $OUT (default /tmp/vecdb-filtered).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
OUT=${OUT:-/tmp/vecdb-filtered}
mkdir -p "$OUT"
go build -o "$OUT/vecdb" ./cmd/vecdb
[ -f "$OUT/data/meta.jsonl" ] || go run ./internal/gendata -n "$N" -queries 1000 -dim 128 -meta -out "$OUT/data"
V="$OUT/vecdb --db $OUT/db"
rm -rf "$OUT/db"
$V create f --dim 128 --field u:int --field pos:bool >/dev/null
$V import f "$OUT/data/base.fvecs" --meta "$OUT/data/meta.jsonl"
# shellcheck disable=SC2086 # BUILD_FLAGS is a list of flags
$V build f ${BUILD_FLAGS:-}
NPROBE=${NPROBE:-$($V stats f --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["index"]["nprobe"])')}
echo "nprobe $NPROBE (the build's default), k 10, refine 10"
REPS=${REPS:-5}
# Each run first searches its queries once untimed: a fresh process maps
# the pages of the vector file as its queries touch them, which would
# otherwise weigh on whichever run comes first.
WARMUP=${WARMUP:-1000}
echo "each figure the median of $REPS interleaved runs; ratios the median of the per-run ratios"
run() { # label filter queries
	printf '%-40s ' "$1"
	runs=()
	for _ in $(seq "$REPS"); do
		runs+=("$($V bench f --queries "$3" --filter "$2" --nprobe "$NPROBE" --postfilter --warmup "$WARMUP" --json 2>/dev/null)")
		runs+=("$($V bench f --queries "$3" --filter "$2" --nprobe "$NPROBE" --exact --warmup "$WARMUP" --json 2>/dev/null)")
	done
	python3 -c '
import json, statistics, sys
post, planned, exact = [], [], []
for i, doc in enumerate(sys.argv[1:]):
    d = json.loads(doc)
    if i % 2 == 0:
        post.append(d["runs"][0])
    else:
        planned.append([r for r in d["runs"] if not r.get("exact")][0])
        exact.append([r for r in d["runs"] if r.get("exact")][0])
med = lambda rs, k: statistics.median(r[k] for r in rs)
# Ratios within each interleaved pair cancel the drift between pairs.
vs_post = statistics.median(p["qps"] / q["qps"] for p, q in zip(planned, post))
vs_exact = statistics.median(p["qps"] / q["qps"] for p, q in zip(planned, exact))
print("planned: recall@10 %.3f qps %7.0f | exact: qps %7.0f | post-filter: recall@10 %.3f qps %7.0f | planned/exact %5.2f, planned/post-filter %4.2f" % (
    med(planned, "recall"), med(planned, "qps"), med(exact, "qps"), med(post, "recall"), med(post, "qps"), vs_exact, vs_post))' "${runs[@]}"
}
for sel in "50% u < 5000" "10% u < 1000" "1% u < 100" "0.1% u < 10" "0.01% u < 1"; do
	run "uncorrelated ${sel%% *}" "${sel#* }" "$OUT/data/queries.fvecs"
done
run "correlated 50% (pos, pos queries)" "pos = true" "$OUT/data/queries_pos.fvecs"
run "anti-correlated 50% (pos, neg queries)" "pos = true" "$OUT/data/queries_neg.fvecs"
run "anti-correlated 1% (pos AND u<200)" "pos = true AND u < 200" "$OUT/data/queries_neg.fvecs"
