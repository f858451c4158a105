#!/usr/bin/env bash
# Image embeddings on fashion-mnist, end to end through the CLI: import the
# 60k training and 10k test images with their labels, then for raw pixels,
# PCA-64, a random projection to 64 and the CNN (defaults: 64-d, 3 epochs),
# embed the test images with the training collection's model (vecdb embed)
# and score the 10 nearest training embeddings of the first $QUERIES test
# images (vecdb eval knn: vote accuracy, label agreement). Each step's wall
# time and peak RSS come from /usr/bin/time. Work files go to $OUT (default
# /tmp/vecdb-images); $DATA is the shared data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-${VECDB_DATA:-../shared/data}}/fashion-mnist
OUT=${OUT:-/tmp/vecdb-images}
QUERIES=${QUERIES:-2000}
mkdir -p "$OUT"
go build -o "$OUT/vecdb" ./cmd/vecdb
V="$OUT/vecdb --db $OUT/db"
rm -rf "$OUT/db"
step() { # label command...
	local t
	t=$( { /usr/bin/time -f "%e %M" "${@:2}" >"$OUT/last.json"; } 2>&1 | tail -1)
	printf '%-34s %8.1f s  peak RSS %6.0f MB\n' "$1" "${t% *}" "$(echo "${t#* } / 1024" | bc -l)"
}
$V create train --dim 784 --field label:keyword --field name:keyword >/dev/null
$V create test --dim 784 --field label:keyword --field name:keyword >/dev/null
step "import 60k training images" $V import train "$DATA/fashion-mnist_train.bvecs.gz" --meta "$DATA/fashion-mnist_train_meta.jsonl.gz"
# The first $QUERIES test images are the queries.
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
step "build the raw index (exact eval)" $V build train
knn() { # label collection queries
	step "eval knn $1" $V eval knn --collection "$2" --queries "$3" --label label --json
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("    %-30s vote accuracy %.4f  label agreement %.4f  (%d queries)" % (sys.argv[2], d["vote_accuracy"], d["label_agreement"], d["queries"]))' "$OUT/last.json" "$1"
}
knn "raw pixels (784-d)" train test
step "train pca 64" $V train pca --from train --collection pca --dim 64
step "embed test with pca" $V embed --with pca --from test --collection pca_test
knn "PCA-64" pca pca_test
step "train rp 64" $V train rp --from train --collection rp --dim 64
step "embed test with rp" $V embed --with rp --from test --collection rp_test
knn "random projection 64" rp rp_test
step "train cnn (64-d, 3 epochs)" $V train cnn --from train --label label --shape 28x28x1 --collection cnn
step "embed test with cnn" $V embed --with cnn --from test --collection cnn_test
knn "CNN-64" cnn cnn_test
