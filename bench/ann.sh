#!/usr/bin/env bash
# Reproduces a row of README.md's index table: import, build and bench one
# data set with the vecdb CLI, and print build time, peak RSS, index size and
# the recall/qps table (single thread and all cores).
#
#   bench/ann.sh sift-small | glove-100k | fashion-mnist | synthetic-1m [--faiss]
#
# --faiss also runs the FAISS peer (../shared/peers/faiss_bench.py, Debian's
# python3-faiss) with the same lists, code size, training sample and re-rank
# depth. Data come from $VECDB_DATA (default ../shared/data beside the
# checkout); work files go to $OUT (default /tmp/vecdb-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
set_name=${1:?usage: bench/ann.sh sift-small|glove-100k|fashion-mnist|synthetic-1m [--faiss]}
faiss=${2:-}
DATA=${VECDB_DATA:-$PWD/../shared/data}
OUT=${OUT:-/tmp/vecdb-bench}
mkdir -p "$OUT"
go build -o "$OUT/vecdb" ./cmd/vecdb
V="$OUT/vecdb --db $OUT/$set_name.db"
rm -rf "$OUT/$set_name.db"
# shellcheck source=bench/lib.sh
source bench/lib.sh
nprobe=1,2,4,8,16,32,64
faiss_metric=l2
case $set_name in
sift-small)
	base=$DATA/sift-small/siftsmall_base.fvecs
	queries=$DATA/sift-small/siftsmall_query.fvecs
	truth=$DATA/sift-small/siftsmall_groundtruth.ivecs
	dim=128 metric=l2 ;;
glove-100k)
	# bench matches truth rows to row-number IDs, so the text files are
	# converted to fvecs through a scratch collection (same row order).
	glove_fvecs "$OUT/vecdb" "$OUT/$set_name.db" "$DATA" "$OUT"
	dim=100 metric=cosine faiss_metric=cosine nprobe=8,16,32,64,128,256 ;;
fashion-mnist)
	f=$DATA/fashion-mnist
	base=$f/fashion-mnist_train.bvecs.gz queries=$f/fashion-mnist_test.bvecs.gz
	truth=$f/fashion-mnist_test_groundtruth_l2_top100.ivecs
	dim=784 metric=l2 ;;
synthetic-1m)
	[ -f "$OUT/synth1m/truth.ivecs" ] || go run ./internal/gendata -n 1000000 -dim 128 -out "$OUT/synth1m"
	base=$OUT/synth1m/base.fvecs queries=$OUT/synth1m/queries.fvecs truth=$OUT/synth1m/truth.ivecs
	dim=128 metric=l2 nprobe=4,8,16,32,64,128 ;;
*) echo "unknown data set $set_name" >&2; exit 2 ;;
esac

$V create bench --dim $dim --metric $metric >/dev/null
/usr/bin/time -f "import: %e s, peak RSS %M KB" $V import bench "$base"
/usr/bin/time -f "build: %e s, peak RSS %M KB" $V build bench
$V stats bench --json > "$OUT/$set_name.stats.json"
/usr/bin/time -f "bench: peak RSS %M KB" $V bench bench --queries "$queries" --truth "$truth" \
	--nprobe $nprobe --exact --batch --plot "$OUT/$set_name.png"
du -sh "$OUT/$set_name.db" | sed 's/^/disk: /'
python3 - "$OUT/$set_name.stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ix = s["index"]
l2 = s["metric"] == "l2"
print("index: IVF%d,PQ%d; %d bytes per vector in the lists (code + doc id%s) beside %d of raw vector; %d records" % (
    ix["lists"], ix["m"], ix["m"] + (8 if l2 else 4), " + distance term" if l2 else "", 4 * s["dim"], s["count"]))
PY

if [ "$faiss" = "--faiss" ]; then
	lists=$(python3 -c "import json;print(json.load(open('$OUT/$set_name.stats.json'))['index']['lists'])")
	m=$(python3 -c "import json;print(json.load(open('$OUT/$set_name.stats.json'))['index']['m'])")
	n=$(python3 -c "import json;print(json.load(open('$OUT/$set_name.stats.json'))['count'])")
	sample=$(( n < 32*lists ? n : 32*lists )); sample=$(( sample < 20000 && n >= 20000 ? 20000 : sample ))
	/usr/bin/python3 ../shared/peers/faiss_bench.py --base "$base" --queries "$queries" --truth "$truth" \
		--index "IVF$lists,PQ$m,RFlat" --k-factor 10 --metric $faiss_metric --nprobe $nprobe \
		--train-size $sample
fi
