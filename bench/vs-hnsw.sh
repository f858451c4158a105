#!/usr/bin/env bash
# vecdb against hnswlib, single thread, k = 10, on one data set: builds both
# (vecdb with the extra build flags given; hnswlib with M 16, ef_construction
# 200 on all cores), then runs REPS pairs of sweeps back to back (vecdb over
# nprobe, hnswlib over ef), since this machine's speed drifts up to 2x between
# minutes, and prints both curves, each pair's q/s at recall@10 >= 0.95 and
# their ratio, build time and bytes per vector, and a one-line JSON summary.
# Each sweep first searches every query once, untimed, at its largest setting,
# and the first 200 queries before each setting.
#
#   [REPS=3] [REFINE=R] bench/vs-hnsw.sh glove-100k | fashion-mnist | synthetic-1m [vecdb build flags, e.g. --codec pq4fs]
#
# REFINE is vecdb bench's --refine (default: the index's; 0: the codes alone,
# no raw vector read).
# The peer is bench/hnsw_peer.py (Debian's python3-hnswlib, /usr/bin/python3);
# its index is kept as $OUT/SET.hnsw and reused while newer than the data.
# fashion-mnist uses its first 2,000 test queries. Data come from $VECDB_DATA
# (default ../shared/data beside the checkout); work files go to $OUT (default
# /tmp/vecdb-bench), this run's JSON to $OUT/vs-hnsw-SET/.
set -euo pipefail
cd "$(dirname "$0")/.."
set_name=${1:?usage: bench/vs-hnsw.sh glove-100k|fashion-mnist|synthetic-1m [vecdb build flags]}
shift
DATA=${VECDB_DATA:-$PWD/../shared/data}
OUT=${OUT:-/tmp/vecdb-bench}
REPS=${REPS:-3}
PEER="/usr/bin/python3 bench/hnsw_peer.py"
mkdir -p "$OUT"
go build -o "$OUT/vecdb" ./cmd/vecdb
R=$OUT/vs-hnsw-$set_name
# shellcheck source=bench/lib.sh
source bench/lib.sh
V="$OUT/vecdb --db $R.db"
rm -rf "$R.db" "$R" && mkdir -p "$R"
case $set_name in
glove-100k)
	# bench matches truth rows to row-number IDs: the text files are converted
	# to fvecs through a scratch collection, once.
	glove_fvecs "$OUT/vecdb" "$R.db" "$DATA" "$OUT"
	dim=100 metric=cosine nprobe=8,16,24,32,48,64,96,128 ;;
fashion-mnist)
	fashion_2000 "$PEER" "$DATA" "$OUT"
	dim=784 metric=l2 nprobe=1,2,3,4,6,8,12,16 ;;
synthetic-1m)
	[ -f "$OUT/synth1m/truth.ivecs" ] || go run ./internal/gendata -n 1000000 -dim 128 -out "$OUT/synth1m"
	base=$OUT/synth1m/base.fvecs queries=$OUT/synth1m/queries.fvecs truth=$OUT/synth1m/truth.ivecs
	dim=128 metric=l2 nprobe=2,3,4,6,8,12,16,24,32 ;;
*) echo "unknown data set $set_name" >&2; exit 2 ;;
esac

echo "$*" >"$R/flags"
$V create bench --dim $dim --metric $metric >/dev/null
/usr/bin/time -f "%e %M" -o "$R/import.time" $V import bench "$base" >/dev/null
/usr/bin/time -f "%e %M" -o "$R/build.time" $V build bench "$@" >/dev/null
$V stats bench --json >"$R/stats.json"
echo "vecdb: import $(cut -d' ' -f1 "$R/import.time") s, build $(cut -d' ' -f1 "$R/build.time") s" >&2
$PEER build --base "$base" --space $metric --index "$OUT/$set_name.hnsw" >"$R/hnsw.build.json"
echo "hnswlib: $(cat "$R/hnsw.build.json")" >&2
for r in $(seq "$REPS"); do
	echo "rep $r/$REPS" >&2
	# A first run at the largest nprobe primes the process (the pages of the
	# vector file it touches); the report drops it. The peer does the same.
	$V bench bench --queries "$queries" --truth "$truth" -k 10 --nprobe "${nprobe##*,},$nprobe" \
		${REFINE:+--refine "$REFINE"} --warmup 200 --json >"$R/vecdb.$r.json"
	$PEER sweep --index "$OUT/$set_name.hnsw" --space $metric --queries "$queries" --truth "$truth" \
		--k 10 --warmup 200 >"$R/hnsw.$r.json"
done
$PEER report "$set_name" "$R"
