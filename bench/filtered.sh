#!/usr/bin/env bash
# Reproduces README.md's filtered-search table: a generated set (200k x 128
# by default) with an attribute u uniform in [0, 10000) (uncorrelated with
# the vectors) and pos = the sign of the first coordinate (correlated), then
# `vecdb bench --filter` at each selectivity: the planned search (default
# nprobe) against the exact filtered scan and against an unfiltered probe
# thinned by the filter (--postfilter), all with truth computed by exact
# filtered search. Work files go to $OUT (default /tmp/vecdb-filtered).
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
$V build f
NPROBE=${NPROBE:-$($V stats f --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["index"]["nprobe"])')}
echo "nprobe $NPROBE (the build's default), k 10, refine 10"
run() { # label filter queries
	printf '%-40s ' "$1"
	post=$($V bench f --queries "$3" --filter "$2" --nprobe "$NPROBE" --postfilter --json 2>/dev/null)
	$V bench f --queries "$3" --filter "$2" --nprobe "$NPROBE" --exact --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = json.loads(sys.argv[1])["runs"][0]
ivf = [r for r in d["runs"] if not r.get("exact")][0]
ex = [r for r in d["runs"] if r.get("exact")][0]
print("planned: recall@10 %.3f qps %7.0f | exact filtered scan: qps %7.0f | unfiltered IVF + post-filter: recall@10 %.3f qps %7.0f" % (
    ivf["recall"], ivf["qps"], ex["qps"], p["recall"], p["qps"]))' "$post"
}
for sel in "50% u < 5000" "10% u < 1000" "1% u < 100" "0.1% u < 10" "0.01% u < 1"; do
	run "uncorrelated ${sel%% *}" "${sel#* }" "$OUT/data/queries.fvecs"
done
run "correlated 50% (pos, pos queries)" "pos = true" "$OUT/data/queries_pos.fvecs"
run "anti-correlated 50% (pos, neg queries)" "pos = true" "$OUT/data/queries_neg.fvecs"
run "anti-correlated 1% (pos AND u<200)" "pos = true AND u < 200" "$OUT/data/queries_neg.fvecs"
