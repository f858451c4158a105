package infer

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"golang.org/x/sync/errgroup"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/recsys"
	"github.com/vecdb/vecdb/train/text"
	"github.com/vecdb/vecdb/train/traintest"
	"github.com/vecdb/vecdb/train/word2vec"
)

// The fixtures are built with package train's trainers and
// internal/traintest.

// TestWordVectorSubwords trains subword vectors: a word outside the
// vocabulary gets a vector from the stored n-grams, nearer its own word's
// than another's; a word sharing no n-gram is ErrNotFound; an analogy
// leaves its question words out.
func TestWordVectorSubwords(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	o := traintest.W2VOptions()
	o.Subword = &word2vec.SubwordOptions{Buckets: 10000}
	in := train.Corpus{Text: traintest.PlantedCorpus(), Vocab: text.VocabOptions{MinCount: 1}}
	if _, err := train.Word2Vec(ctx, in, o, train.Output{DB: d, Collection: "sub"}); err != nil {
		t.Fatal(err)
	}
	v, err := WordVector(ctx, d, "sub", "parisian")
	if err != nil {
		t.Fatal(err)
	}
	paris, err := WordVector(ctx, d, "sub", "paris")
	if err != nil {
		t.Fatal(err)
	}
	rome, err := WordVector(ctx, d, "sub", "rome")
	if err != nil {
		t.Fatal(err)
	}
	cos := func(a, b []float32) float32 {
		return quant.DotProduct(a, b) / float32(math.Sqrt(float64(quant.Norm2(a)*quant.Norm2(b))))
	}
	if cos(v, paris) <= cos(v, rome) {
		t.Errorf("parisian: cos to paris %.3f, to rome %.3f", cos(v, paris), cos(v, rome))
	}
	if _, err := WordVector(ctx, d, "sub", "xq"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a word sharing no n-gram: %v", err)
	}
	res, err := Analogy(ctx, d, "sub", "france", "paris", "italy", 3)
	if err != nil || len(res) != 3 || slices.ContainsFunc(res, func(r db.Result) bool { return r.ID == "paris" || r.ID == "italy" || r.ID == "france" }) {
		t.Fatalf("analogy: %v, %v (question words must be left out)", res, err)
	}
}

// movieLens reads u.data and the items' metadata.
func movieLens(t *testing.T) (*recsys.Interactions, []db.Field, map[string]db.Meta) {
	dir := vectest.DataDir(t, "movielens-100k")
	f, err := vecio.Open(filepath.Join(dir, "u.data"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := recsys.ReadInteractions(f, recsys.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mf, err := vecio.Open(filepath.Join(dir, "items_meta.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	mr := vecio.NewMetaReader(mf)
	metas := map[string]db.Meta{}
	for {
		obj, err := mr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		m := obj["meta"].(map[string]any)
		metas[obj["id"].(string)] = db.Meta{"genres": m["genres"], "year": m["year"]}
	}
	return in, []db.Field{{Name: "genres", Type: db.Keywords}, {Name: "year", Type: db.Int}}, metas
}

// TestRecommendMovieLens trains ALS into collections (train.ALS), then: recommend
// with a genre filter returns k items of that genre, none seen; fold-in of
// a training user reproduces its stored vector.
func TestRecommendMovieLens(t *testing.T) {
	in, fields, metas := movieLens(t)
	d := traintest.OpenDB(t)
	ctx := context.Background()
	o := recsys.DefaultALSOptions()
	if testing.Short() {
		o.Iterations = 3
	}
	if _, err := train.ALS(ctx, in, o, train.RecOutput{DB: d, Items: "movies", Users: "users", ItemFields: fields, ItemMeta: metas}); err != nil {
		t.Fatal(err)
	}
	user := "196"
	u, err := d.Get("users", user)
	if err != nil {
		t.Fatal(err)
	}
	seen := u.Meta[train.FieldSeen].([]string)
	res, err := Recommend(ctx, d, RecommendRequest{Users: "users", Items: "movies", User: user, K: 10, Filter: `genres IN ("Comedy")`})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 10 {
		t.Fatalf("%d recommendations, want 10", len(res))
	}
	for _, r := range res {
		rec, err := d.Get("movies", r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(rec.Meta["genres"].([]string), "Comedy") {
			t.Errorf("recommended %s with genres %v", r.ID, rec.Meta["genres"])
		}
		if slices.Contains(seen, r.ID) {
			t.Errorf("recommended %s, which user %s has seen", r.ID, user)
		}
	}
	withSeen, err := Recommend(ctx, d, RecommendRequest{Users: "users", Items: "movies", User: user, K: 50, IncludeSeen: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(withSeen, func(r db.Result) bool { return slices.Contains(seen, r.ID) }) {
		t.Error("--include-seen results hold none of the user's items")
	}
	// Fold-in of the user from its own interactions reproduces its vector.
	row, weights := in.UserRow(int(in.UserIndex[user]))
	inter := map[string]float32{}
	for i, it := range row {
		inter[in.Items[it]] = weights[i]
	}
	got, err := FoldIn(ctx, d, "users", "movies", "folded", inter, o)
	if err != nil {
		t.Fatal(err)
	}
	var diff, norm float64
	for i := range got {
		diff += float64((got[i] - u.Vector[i]) * (got[i] - u.Vector[i]))
		norm += float64(u.Vector[i] * u.Vector[i])
	}
	if rel := math.Sqrt(diff / norm); rel > 1e-3 {
		t.Errorf("fold-in of user %s differs from its trained vector by %.2g (relative)", user, rel)
	}
	if _, err := d.Get("users", "folded"); err != nil {
		t.Errorf("folded-in user not written: %v", err)
	}
	if _, err := FoldIn(ctx, d, "users", "movies", "x", map[string]float32{"no-such-movie": 1}, o); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("fold-in with an unknown item: %v", err)
	}
}

// TestFolderAcrossRetrain makes a Folder, folds in users from several
// goroutines, then retrains with more factors: the same Folder reads the
// new items first.
func TestFolderAcrossRetrain(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	b := recsys.NewBuilder(nil)
	for u := range 20 {
		for i := range 5 {
			if err := b.Add(fmt.Sprint("u", u), fmt.Sprint("i", (u+i)%12), 1, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	in := b.Build()
	o := recsys.DefaultALSOptions()
	o.Factors, o.Lambda, o.Iterations = 4, 0.1, 3
	out := train.RecOutput{DB: d, Items: "items", Users: "users"}
	if _, err := train.ALS(ctx, in, o, out); err != nil {
		t.Fatal(err)
	}
	// A Folder made now serves several users, from several goroutines.
	folder, err := NewFolder(ctx, d, "users", "items", o)
	if err != nil {
		t.Fatal(err)
	}
	var g errgroup.Group
	for u := range 4 {
		g.Go(func() error {
			vec, err := folder.FoldIn(ctx, fmt.Sprint("new", u), map[string]float32{"i1": 1, fmt.Sprint("i", 2+u): 2})
			if err == nil && len(vec) != 4 {
				err = errors.Newf("folded-in vector of %d values, want 4", len(vec))
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for u := range 4 {
		rec, err := d.Get("users", fmt.Sprint("new", u))
		if err != nil {
			t.Fatal(err)
		}
		if seen := rec.Meta[train.FieldSeen].([]string); !slices.Equal(seen, []string{"i1", fmt.Sprint("i", 2+u)}) {
			t.Errorf("new%d's seen items: %q", u, seen)
		}
	}
	o.Factors = 6
	if _, err := train.ALS(ctx, in, o, out); err != nil {
		t.Fatal(err)
	}
	// After the retrain the same Folder reads the new items first.
	if vec, err := folder.FoldIn(ctx, "new9", map[string]float32{"i1": 1}); err != nil || len(vec) != 6 {
		t.Fatalf("fold-in after a retrain: %d values, %v; want 6", len(vec), err)
	}
	if _, err := folder.FoldIn(ctx, "none", nil); err == nil {
		t.Error("fold-in of no interactions: no error")
	}
}

// TestRecommendAcrossSwap: a retrain that swaps the users and items in
// between Recommend's read of the user and its search of the items must
// not pair one model's user with the other's items. Two hand-made models
// disagree on purpose: in model A the user points at "A-good", in model B
// at "B-good", and a user of one model scores the other model's "-bad"
// item highest. The hook starts a swap right after the user is read; the
// read view holds it off until the recommendation is answered, and it
// lands after.
func TestRecommendAcrossSwap(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	write := func(suffix, model string) {
		t.Helper()
		users, items := "users"+suffix, "items"+suffix
		for _, name := range []string{users, items} {
			if err := d.CreateCollection(db.Schema{Name: name, Dim: 2, Metric: db.Dot}); err != nil {
				t.Fatal(err)
			}
		}
		x, y := []float32{1, 0}, []float32{0, 1}
		if model == "B" {
			x, y = y, x
		}
		for _, put := range []struct {
			coll, id string
			v        []float32
		}{{users, "u", x}, {items, model + "-good", x}, {items, model + "-bad", y}} {
			if err := d.Put(put.coll, put.id, put.v, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("", "A")
	model := "A"
	swap := func() {
		model = map[string]string{"A": "B", "B": "A"}[model]
		write(".staging", model)
		if err := d.ReplaceCollections([]db.Replacement{{Dst: "users", Src: "users.staging"}, {Dst: "items", Src: "items.staging"}}); err != nil {
			t.Fatal(err)
		}
	}
	swapped := make(chan struct{})
	recommendHook = func() {
		recommendHook = nil
		go func() { swap(); close(swapped) }()
		select {
		case <-swapped:
			t.Error("a swap completed inside Recommend's read view")
		case <-time.After(50 * time.Millisecond): // the swap is waiting
		}
	}
	defer func() { recommendHook = nil }()
	for _, want := range []string{"A", "B"} {
		res, err := Recommend(ctx, d, RecommendRequest{Users: "users", Items: "items", User: "u", K: 1, IncludeSeen: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].ID != want+"-good" {
			t.Fatalf("recommended %v, want %s-good: a user and items of different models", res, want)
		}
		<-swapped // the swap lands once the view is closed
	}
	if model != "B" {
		t.Fatalf("the swap never landed: model %s", model)
	}
}

// TestWordVectorLegacyNgrams: a subword model written by an earlier
// release keeps its n-grams in "COLL.ngrams" (the last of
// train.NgramCollections); an unseen word's vector is the mean of its
// stored buckets there, buckets never trained are skipped, and a word
// with none of them is ErrNotFound.
func TestWordVectorLegacyNgrams(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	names := train.NgramCollections("old")
	if len(names) != 2 || names[1] != "old.ngrams" {
		t.Fatalf("NgramCollections(%q) = %q, want the current name, then %q", "old", names, "old.ngrams")
	}
	ngrams := names[1]
	for _, s := range []db.Schema{{Name: "old", Dim: 2, Metric: db.Cosine}, {Name: ngrams, Dim: 2, Metric: db.Dot,
		Fields: []db.Field{{Name: "minn", Type: db.Int}, {Name: "maxn", Type: db.Int}, {Name: "buckets", Type: db.Int}}}} {
		if err := d.CreateCollection(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Put("old", "cat", []float32{1, 0}, nil); err != nil {
		t.Fatal(err)
	}
	sub := word2vec.SubwordOptions{MinN: 3, MaxN: 3, Buckets: 1000}
	if err := d.Put(ngrams, train.NgramParamsID, []float32{0, 0}, db.Meta{"minn": 3, "maxn": 3, "buckets": 1000}); err != nil {
		t.Fatal(err)
	}
	// "cats" has the trigrams <ca cat ats ts>; store two of their buckets.
	bs := word2vec.NgramBuckets("cats", sub)
	if len(bs) != 4 || len(slices.Compact(slices.Sorted(slices.Values(bs)))) != 4 {
		t.Fatalf("buckets of cats: %v, want four distinct", bs)
	}
	for i, b := range bs[:2] {
		if err := d.Put(ngrams, fmt.Sprint(b), []float32{float32(2 * i), 2}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := WordVector(ctx, d, "old", "Cat"); err != nil || !slices.Equal(v, []float32{1, 0}) {
		t.Fatalf("WordVector(Cat) = %v, %v; want cat's vector", v, err)
	}
	v, err := WordVector(ctx, d, "old", "cats")
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 2}; !slices.Equal(v, want) {
		t.Fatalf("WordVector(cats) = %v, want the mean of its two stored buckets %v", v, want)
	}
	if _, err := WordVector(ctx, d, "old", "dog"); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("WordVector(dog), no stored n-gram: %v, want ErrNotFound", err)
	}
}
