package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/infer"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/recsys"
)

// demoGenres are the item groups of the recommendation demo: users of
// group g mostly interact with items of genre g.
var demoGenres = []string{"drama", "comedy", "horror", "scifi", "jazz", "rock", "docs", "kids"}

// demoInteractions generates users (2,000 at the demo's default size) and
// 400 items in genre groups: each user has 15-30 items, 85% of them from
// the user's own group.
func demoInteractions(users int) (*recsys.Interactions, map[string]db.Meta, error) {
	r := rand.New(rand.NewPCG(7, 8))
	const items = 400
	per := items / len(demoGenres)
	meta := make(map[string]db.Meta, items)
	for i := range items {
		meta[fmt.Sprintf("item%d", i)] = db.Meta{"genre": demoGenres[i/per]}
	}
	b := recsys.NewBuilder(nil)
	for u := range users {
		g := u % len(demoGenres)
		for range 15 + r.IntN(16) {
			gi := g
			if r.Float64() > 0.85 {
				gi = r.IntN(len(demoGenres))
			}
			// Within a genre, lower-numbered items are more popular.
			it := gi*per + int(float64(per)*r.Float64()*r.Float64())
			if err := b.Add(fmt.Sprintf("user%d", u), fmt.Sprintf("item%d", it), 1, int64(r.IntN(1000))); err != nil {
				return nil, nil, err
			}
		}
	}
	return b.Build(), meta, nil
}

// demoRecommend trains ALS on generated interactions, scores it against
// the popularity baseline on a held-out split, then writes users and items
// into collections and recommends with a genre filter.
func (c *cli) demoRecommend(ctx context.Context, d *db.DB, out io.Writer, users int) error {
	in, meta, err := demoInteractions(users)
	if err != nil {
		return err
	}
	opts := recsys.DefaultALSOptions()
	opts.Lambda = 5 // a small data set: 40 (tuned on MovieLens) over-regularises it
	tr, test, err := recsys.Split(in, 0.2, recsys.SplitRandom, 1)
	if err != nil {
		return err
	}
	m, err := recsys.TrainALS(ctx, tr, &opts)
	if err != nil {
		return err
	}
	got, err := recsys.Evaluate(ctx, m, tr, test, 10)
	if err != nil {
		return err
	}
	pop, err := recsys.Evaluate(ctx, recsys.NewPopularity(tr), tr, test, 10)
	if err != nil {
		return err
	}
	if got.NDCG <= pop.NDCG {
		return errors.Newf("demo: ALS NDCG@10 %.3f does not beat popularity's %.3f", got.NDCG, pop.NDCG)
	}
	fmt.Fprintf(out, "recommendations: ALS on %d generated interactions (%d users, %d items, 8 genres), 20%% held out:\n  NDCG@10 %.3f (popularity %.3f), precision@10 %.3f (popularity %.3f)\n",
		in.Len(), in.NumUsers(), in.NumItems(), got.NDCG, pop.NDCG, got.Precision, pop.Precision)
	st, err := train.ALS(ctx, in, opts, train.RecOutput{DB: d, Items: "demo_items", Users: "demo_users",
		ItemFields: []db.Field{{Name: "genre", Type: db.Keyword}}, ItemMeta: meta})
	if err != nil {
		return err
	}
	res, err := infer.Recommend(ctx, d, infer.RecommendRequest{Users: "demo_users", Items: "demo_items", User: "user1", K: 5, Filter: `genre = "jazz"`})
	if err != nil {
		return err
	}
	var ids []string
	for _, r := range res {
		rec, err := d.Get("demo_items", r.ID)
		if err != nil {
			return err
		}
		if rec.Meta["genre"] != "jazz" {
			return errors.Newf("demo: recommended %s of genre %v under a jazz filter", r.ID, rec.Meta["genre"])
		}
		ids = append(ids, r.ID)
	}
	fmt.Fprintf(out, "  wrote %q and %q (%d dims, trained in %.2fs); user1 (a comedy fan), jazz only, seen items left out: %s\n\n",
		"demo_items", "demo_users", st.Dim, st.TrainTime.Seconds(), strings.Join(ids, " "))
	return nil
}
