#!/usr/bin/env bash
# Reproduces README.md's table of filtered recall on glove-100k: the
# 100k-word base as a cosine collection with an attribute u drawn uniformly
# from [0, 10000) (seed 7, so uncorrelated with the vectors), the default
# index (IVF1024,PQ25, refine 10), then recall@10 and q/s of the planned
# search at nprobe 16 and 64 for filters passing 50%, 10% and 3%, beside the
# unfiltered search and post-filtering at the same nprobe. Truth is exact
# filtered search. Data come from $VECDB_DATA (default ../shared/data
# beside the checkout); work files go to $OUT (default /tmp/vecdb-glovef).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${VECDB_DATA:-$PWD/../shared/data}
OUT=${OUT:-/tmp/vecdb-glovef}
g=$DATA/glove-6b-100d-100k
mkdir -p "$OUT"
go build -o "$OUT/vecdb" ./cmd/vecdb
V="$OUT/vecdb --db $OUT/db"
rm -rf "$OUT/db"
$V create words --dim 100 --metric cosine >/dev/null
$V import words "$g/glove.6B.100d.base100k.txt.gz" >/dev/null
$V export words "$OUT/base.fvecs" --format fvecs >/dev/null
$V create q --dim 100 --metric cosine >/dev/null
$V import q "$g/glove.6B.100d.query1k.txt.gz" >/dev/null
$V export q "$OUT/queries.fvecs" --format fvecs >/dev/null
python3 -c '
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    for _ in range(100000):
        f.write("{\"u\": %d}\n" % random.randrange(10000))' "$OUT/meta.jsonl"
$V create g --dim 100 --metric cosine --field u:int >/dev/null
$V import g "$OUT/base.fvecs" --meta "$OUT/meta.jsonl" >/dev/null
$V build g >/dev/null
run() { # nprobe filter [--postfilter]
	$V bench g --queries "$OUT/queries.fvecs" --nprobe "$1" --filter "$2" ${3:-} --json 2>/dev/null |
		python3 -c 'import json, sys; r = json.load(sys.stdin)["runs"][0]; print("%.3f (%.0f q/s)" % (r["recall"], r["qps"]), end="")'
}
echo "recall@10 (q/s) on glove-100k, k 10, refine 10; planned | post-filter"
for np in 16 64; do
	printf 'nprobe %-3s unfiltered %s' "$np" "$(run "$np" "u >= 0")"
	for sel in "50% u < 5000" "10% u < 1000" "3% u < 300"; do
		printf ' | %s %s | %s' "${sel%% *}" "$(run "$np" "${sel#* }")" "$(run "$np" "${sel#* }" --postfilter)"
	done
	echo
done
