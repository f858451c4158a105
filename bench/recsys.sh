#!/usr/bin/env bash
# Reproduces README.md's recommendation table on MovieLens-100k: each
# trainer under `vecdb eval recsys` (random 20% hold-out per user, seed 1,
# k 10; the popularity baseline on the same split), then a training run
# into collections and a genre-filtered recommendation.
# Work files go to $OUT (default /tmp/vecdb-recsys).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${VECDB_DATA:-$PWD/../shared/data}/movielens-100k
OUT=${OUT:-/tmp/vecdb-recsys}
mkdir -p "$OUT"
go build -o "$OUT/vecdb" ./cmd/vecdb
V="$OUT/vecdb --db $OUT/db"
for t in popularity als bpr item2vec; do
	$V eval recsys --interactions "$DATA/u.data" --trainer $t --seed 1 -k 10 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
b = d["baseline"]
print("%-10s P@10 %.4f  R@10 %.4f  NDCG@10 %.4f  MAP@10 %.4f  (%.2fx popularity NDCG)  train %.1f s" % (
    d["trainer"], d["precision"], d["recall"], d["ndcg"], d["map"], d["ndcg"] / b["ndcg"], d["train_seconds"]))'
done
rm -rf "$OUT/db"
$V train als --interactions "$DATA/u.data" --items movies --users users --item-meta "$DATA/items_meta.jsonl"
$V recommend --users users --items movies --user 196 -k 5 --filter 'genres IN ("Comedy")' --json
