#!/usr/bin/env bash
# The PCA pre-transform (vecdb build --pca D) against the same codec without
# it, on fashion-mnist (784-d l2, its first 2,000 test queries) or glove-100k
# (100-d cosine): one database per variant, each built once (timed), then REPS
# rounds in which every variant runs its sweeps back to back (nprobe swept,
# one vecdb bench per refine), since this machine's speed drifts up to 2x
# between minutes: only ratios within a round mean much. The report gives,
# per variant and round, the fastest (nprobe, refine) reaching recall@10
# 0.95, its q/s and the ratio to the variant without PCA of the same codec
# in the same round, plus build time, code bytes per vector and peak RSS.
#
#   [REPS=2] bench/pca.sh fashion-mnist | glove-100k
#
# Data come from $VECDB_DATA (default ../shared/data beside the checkout);
# work files go to $OUT (default /tmp/vecdb-bench-pca).
set -euo pipefail
cd "$(dirname "$0")/.."
set_name=${1:?usage: bench/pca.sh fashion-mnist|glove-100k}
DATA=${VECDB_DATA:-$PWD/../shared/data}
OUT=${OUT:-/tmp/vecdb-bench-pca}
REPS=${REPS:-2}
PEER="/usr/bin/python3 bench/hnsw_peer.py"
mkdir -p "$OUT"
go build -o "$OUT/vecdb" ./cmd/vecdb
R=$OUT/pca-$set_name
# shellcheck source=bench/lib.sh
source bench/lib.sh
rm -rf "$R" && mkdir -p "$R"
case $set_name in
fashion-mnist)
	fashion_2000 "$PEER" "$DATA" "$OUT"
	dim=784 metric=l2 nprobe=1,2,3,4,6,8,12,16,24
	variants=("pq4fs|--codec pq4fs" "pq4fs-pca256|--codec pq4fs --pca 256" "pq4fs-pca128|--codec pq4fs --pca 128"
		"rabitq4|--codec rabitq:4" "rabitq4-pca256|--codec rabitq:4 --pca 256" "rabitq4-pca128|--codec rabitq:4 --pca 128"
		"rabitq4-pca64|--codec rabitq:4 --pca 64") ;;
glove-100k)
	glove_fvecs "$OUT/vecdb" "$OUT/scratch.db" "$DATA" "$OUT"
	dim=100 metric=cosine nprobe=8,16,24,32,48,64,96,128
	variants=("pq4fs|--codec pq4fs" "pq4fs-pca64|--codec pq4fs --pca 64"
		"rabitq8|--codec rabitq:8" "rabitq8-pca64|--codec rabitq:8 --pca 64") ;;
*) echo "unknown data set $set_name" >&2; exit 2 ;;
esac

for v in "${variants[@]}"; do
	name=${v%%|*} flags=${v#*|}
	V="$OUT/vecdb --db $R/$name.db"
	$V create bench --dim $dim --metric $metric >/dev/null
	$V import bench "$base" >/dev/null
	# shellcheck disable=SC2086
	/usr/bin/time -f "%e %M" -o "$R/$name.build.time" $V build bench $flags --json >"$R/$name.build.json"
	$V stats bench --json >"$R/$name.stats.json"
	echo "$name: build $(cut -d' ' -f1 "$R/$name.build.time") s" >&2
done
for r in $(seq "$REPS"); do
	echo "round $r/$REPS" >&2
	for v in "${variants[@]}"; do
		name=${v%%|*}
		refines="2 3 5 10"
		case $name in rabitq*) refines="0 2 3 5" ;; esac
		for refine in $refines; do
			# The first run, at the largest nprobe, primes the process; the
			# report drops it.
			$OUT/vecdb --db "$R/$name.db" bench bench --queries "$queries" --truth "$truth" -k 10 \
				--nprobe "${nprobe##*,},$nprobe" --refine "$refine" --warmup 200 --json >"$R/$name.refine$refine.$r.json"
		done
	done
done
/usr/bin/python3 bench/pca_report.py "$R" "$REPS" "${variants[@]}"
