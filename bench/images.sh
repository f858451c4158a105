#!/usr/bin/env bash
# Image embeddings on fashion-mnist, end to end through the CLI, as in
# README.md's table: import the 60k training images and the first $QUERIES
# test images with their labels; then for raw pixels, PCA and a random
# projection (64-d) and the CNN at 32, 64 and 128 dims: train on the
# training collection (vecdb train), embed the test images with its model
# (vecdb embed), score the 10 nearest training embeddings of each test
# image (vecdb eval knn: vote accuracy, label agreement), and measure the
# embedding's own index, rebuilt with --target-recall 0.95 (the calibrated
# nprobe and refine), with vecdb bench over the embedded test images: the
# fastest nprobe reaching recall@10 0.95 against exact search at the
# calibrated refine. Training time and peak RSS come from /usr/bin/time. Work
# files go to $OUT (default /tmp/vecdb-images); $DATA is the shared data
# folder. $DIMS overrides the CNN's dimensions.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-${VECDB_DATA:-../shared/data}}/fashion-mnist
OUT=${OUT:-/tmp/vecdb-images}
QUERIES=${QUERIES:-2000}
DIMS=${DIMS:-32 64 128}
mkdir -p "$OUT"
go build -o "$OUT/vecdb" ./cmd/vecdb
V="$OUT/vecdb --db $OUT/db"
rm -rf "$OUT/db"
timed() { # command... -> prints "SECONDS PEAK_KB" on fd 3; the command's stdout to $OUT/last.json
	/usr/bin/time -o "$OUT/time" -f "%e %M" "$@" >"$OUT/last.json"
	cat "$OUT/time"
}
$V create train --dim 784 --field label:keyword --field name:keyword >/dev/null
$V create test --dim 784 --field label:keyword --field name:keyword >/dev/null
$V import train "$DATA/fashion-mnist_train.bvecs.gz" --meta "$DATA/fashion-mnist_train_meta.jsonl.gz" >/dev/null
python3 - "$DATA" "$OUT" "$QUERIES" <<'PY'
import gzip, struct, sys
data, out, q = sys.argv[1], sys.argv[2], int(sys.argv[3])
with gzip.open(f"{data}/fashion-mnist_test.bvecs.gz") as f, open(f"{out}/queries.bvecs", "wb") as w:
    for _ in range(q):
        d = f.read(4); w.write(d); w.write(f.read(struct.unpack("<i", d)[0]))
with gzip.open(f"{data}/fashion-mnist_test_meta.jsonl.gz", "rt") as f, open(f"{out}/queries_meta.jsonl", "w") as w:
    for _ in range(q):
        w.write(f.readline())
PY
$V import test "$OUT/queries.bvecs" --meta "$OUT/queries_meta.jsonl" >/dev/null
printf '%-22s %6s %6s %9s %9s %10s %8s %10s %8s\n' embedding "vote" "agree" "train s" "peak MB" "bytes/vec" "nprobe" "q/s@0.95" "recall"
row() { # label collection test-collection train-time-and-rss
	local coll=$1 testc=$2
	$V build "$coll" --target-recall 0.95 >/dev/null
	$V eval knn --collection "$coll" --queries "$testc" --label label --json >"$OUT/knn.json"
	$V export "$testc" "$OUT/$testc.fvecs" --format fvecs >/dev/null
	$V bench "$coll" --queries "$OUT/$testc.fvecs" --nprobe 2,3,4,6,8,12,16,24,32,48,64 --warmup 500 --json >"$OUT/bench.json"
	$V stats "$coll" --json >"$OUT/stats.json"
	python3 - "$label" "$OUT" "$3" <<'PY'
import json, sys
label, out, tr = sys.argv[1], sys.argv[2], sys.argv[3].split()
knn = json.load(open(f"{out}/knn.json")); st = json.load(open(f"{out}/stats.json")); b = json.load(open(f"{out}/bench.json"))
ok = [r for r in b["runs"] if r["recall"] >= 0.95 and r.get("nprobe")]
best = max(ok, key=lambda r: r["qps"]) if ok else None
ix = st.get("index") or {}
bpv = "%d+%d" % (st["dim"] * 4, ix.get("code_bytes", 0))
label += " r%d" % ix.get("refine", 0)
print("%-22s %6.4f %6.4f %9s %9s %10s %8s %10s %8s" % (label, knn["vote_accuracy"], knn["label_agreement"], tr[0] if tr else "-",
      "%.0f" % (float(tr[1]) / 1024) if tr else "-", bpv, best["nprobe"] if best else "-", "%.0f" % best["qps"] if best else "-",
      "%.3f" % best["recall"] if best else "-"))
PY
}
label="raw pixels (784-d)" row train test ""
t=$(timed $V train pca --from train --collection pca --dim 64); $V embed --with pca --from test --collection pca_test >/dev/null
label="PCA-64" row pca pca_test "$t"
t=$(timed $V train rp --from train --collection rp --dim 64); $V embed --with rp --from test --collection rp_test >/dev/null
label="random projection 64" row rp rp_test "$t"
for dim in $DIMS; do
	t=$(timed $V train cnn --from train --label label --shape 28x28x1 --collection "cnn$dim" --dim "$dim")
	$V embed --with "cnn$dim" --from test --collection "cnn${dim}_test" >/dev/null
	label="CNN-$dim (3 epochs)" row "cnn$dim" "cnn${dim}_test" "$t"
done
echo "vote/agree: vecdb eval knn, 10 nearest training embeddings of each of the first $QUERIES test images;"
echo "bytes/vec: stored vector + index code; q/s@0.95: vecdb bench, one query at a time, fastest nprobe with recall@10 >= 0.95 against exact search"
