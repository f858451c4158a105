# Shell functions the bench scripts share; source it from the repository
# root.

# glove_fvecs VECDB_BIN SCRATCH_DB DATA OUT: converts glove-100k's base and
# query text files (DATA/glove-6b-100d-100k) to OUT/glove_base.fvecs and
# OUT/glove_query.fvecs through a scratch collection, unless they are newer
# than the text files; sets base, queries and truth for the caller.
glove_fvecs() {
	local bin=$1 scratch=$2 data=$3 out=$4 g f
	g=$data/glove-6b-100d-100k
	for f in base:base100k query:query1k; do
		[ "$out/glove_${f%%:*}.fvecs" -nt "$g/glove.6B.100d.${f#*:}.txt.gz" ] && continue
		"$bin" --db "$scratch" create scratch --dim 100 --metric cosine >/dev/null
		"$bin" --db "$scratch" import scratch "$g/glove.6B.100d.${f#*:}.txt.gz" >/dev/null
		"$bin" --db "$scratch" export scratch "$out/glove_${f%%:*}.fvecs" --format fvecs >/dev/null
		"$bin" --db "$scratch" drop scratch >/dev/null
	done
	base=$out/glove_base.fvecs queries=$out/glove_query.fvecs
	truth=$g/glove100k_query1k_groundtruth_cosine_top100.ivecs
}

# fashion_2000 PEER DATA OUT: writes the first 2,000 fashion-mnist test
# images and their ground truth to OUT (with the peer script's head) and
# sets base, queries and truth for the caller.
fashion_2000() {
	local peer=$1 data=$2 out=$3 f
	f=$data/fashion-mnist
	base=$f/fashion-mnist_train.bvecs.gz
	queries=$out/fashion-mnist_query2000.fvecs truth=$out/fashion-mnist_truth2000.ivecs
	$peer head "$f/fashion-mnist_test.bvecs.gz" "$queries" 2000
	$peer head "$f/fashion-mnist_test_groundtruth_l2_top100.ivecs" "$truth" 2000
}
