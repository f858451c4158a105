#!/usr/bin/env bash
# Reproduces README.md's word-vector table: each trainer on the shared text
# corpus (cleaned as ../shared/peers/clean_corpus.sh does: lower-cased,
# letters only), scored by vecdb's evaluators on the analogy questions,
# WS-353, SimLex-999 and MEN. With --gensim, gensim's Word2Vec (the peer,
# Debian's python3-gensim, run with /usr/bin/python3) trains on the same
# file with the same settings, and its vectors are imported and scored by
# the same evaluators.
#
#   bench/words.sh [sg|cbow|fasttext|glove|all] [--gensim]
#
# Settings (the word2vec issue's): dim 100, window 5, negative 5, sample
# 1e-4, min-count 5, 2 epochs; GloVe: dim 100, window 10, 25 epochs.
# THREADS (default "1 2") lists the thread counts of the skip-gram rows.
# Work files go to $OUT (default /tmp/vecdb-words).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
peer=${2:-}
DATA=${VECDB_DATA:-$PWD/../shared/data}
OUT=${OUT:-/tmp/vecdb-words}
THREADS=${THREADS:-1 2}
mkdir -p "$OUT"
go build -o "$OUT/vecdb" ./cmd/vecdb
V="$OUT/vecdb --db $OUT/db"
corpus=$OUT/corpus.txt
[ -s "$corpus" ] || bash ../shared/peers/clean_corpus.sh "$corpus" "$DATA" >/dev/null
E=$DATA/word-eval
common="--dim 100 --window 5 --negative 5 --sample 1e-4 --min-count 5 --epochs 2"

score() { # label collection train-json
	local a s l m
	a=$($V eval analogy --collection "$2" --questions "$E/questions-words.txt" --json)
	s=$($V eval similarity --collection "$2" --pairs "$E/EN-WS-353-ALL.txt" --json)
	l=$($V eval similarity --collection "$2" --pairs "$E/EN-SIMLEX-999.txt" --json)
	m=$($V eval similarity --collection "$2" --pairs "$E/EN-MEN-TR-3k.txt" --json)
	python3 - "$1" "$3" "$a" "$s" "$l" "$m" <<'PY'
import json, sys
label, tr, a, s, l, m = sys.argv[1], json.loads(sys.argv[2]), *map(json.loads, sys.argv[3:])
wps = tr.get("words_per_s_per_thread") or tr.get("words_per_s", 0) / max(tr.get("threads", 1), 1)
print("%-28s analogy %.3f (seen %d)  WS-353 %.3f  SimLex %.3f  MEN %.3f  train %6.1f s  %s" % (
    label, a["accuracy"], a["seen"], s["spearman"], l["spearman"], m["spearman"],
    tr.get("train_seconds", tr.get("seconds", 0)), "%.0f words/s/thread" % wps if wps else ""))
PY
}

if [[ $what == sg || $what == all ]]; then
	for t in $THREADS; do
		j=$($V train word2vec --corpus "$corpus" --collection sg$t --tokenizer ascii $common --threads "$t" --json)
		score "vecdb skip-gram, $t thread(s)" sg$t "$j"
		if [[ $peer == --gensim ]]; then
			j=$(/usr/bin/python3 ../shared/peers/gensim_word2vec.py "$corpus" "$OUT/gensim$t.vec" --threads "$t" --epochs 2 --sample 1e-4)
			$V drop gensim$t >/dev/null 2>&1 || true
			$V create gensim$t --dim 100 --metric cosine >/dev/null
			$V import gensim$t "$OUT/gensim$t.vec" --format text >/dev/null
			score "gensim skip-gram, $t thread(s)" gensim$t "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["threads"]=int(sys.argv[2]); print(json.dumps(d))' "$j" "$t")"
		fi
	done
fi
if [[ $what == cbow || $what == all ]]; then
	j=$($V train word2vec --corpus "$corpus" --collection cbow --tokenizer ascii $common --model cbow --threads 2 --json)
	score "vecdb CBOW, 2 threads" cbow "$j"
fi
if [[ $what == fasttext || $what == all ]]; then
	j=$($V train fasttext --corpus "$corpus" --collection ft --tokenizer ascii $common --threads 2 --json)
	score "vecdb fastText (sg), 2 threads" ft "$j"
fi
if [[ $what == glove || $what == all ]]; then
	j=$($V train glove --corpus "$corpus" --collection glove --tokenizer ascii --dim 100 --window 10 --epochs 25 --min-count 5 --threads 2 --json)
	score "vecdb GloVe, 2 threads" glove "$j"
fi
