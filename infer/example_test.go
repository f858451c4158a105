package infer_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"slices"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/infer"
	"github.com/vecdb/vecdb/train"
	"github.com/vecdb/vecdb/train/recsys"
)

// Train ALS on a few interactions, recommend to a user the items they
// have not seen, then fold in a new user without retraining.
func ExampleRecommend() {
	dir, err := os.MkdirTemp("", "vecdb-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	d, err := db.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()

	b := recsys.NewBuilder(nil)
	for u := range 20 {
		for i := range 4 {
			if err := b.Add(fmt.Sprint("u", u), fmt.Sprint("i", (u+i)%10), 1, 0); err != nil {
				log.Fatal(err)
			}
		}
	}
	opts := recsys.DefaultALSOptions()
	opts.Factors, opts.Iterations, opts.Threads = 4, 5, 1
	if _, err := train.ALS(ctx, b.Build(), opts, train.RecOutput{DB: d, Items: "items", Users: "users"}); err != nil {
		log.Fatal(err)
	}
	res, err := infer.Recommend(ctx, d, infer.RecommendRequest{Users: "users", Items: "items", User: "u0", K: 3})
	if err != nil {
		log.Fatal(err)
	}
	seen := slices.ContainsFunc(res, func(r db.Result) bool { return slices.Contains([]string{"i0", "i1", "i2", "i3"}, r.ID) })
	fmt.Println(len(res), "recommendations for u0; any of its items i0 to i3 among them:", seen)

	vec, err := infer.FoldIn(ctx, d, "users", "items", "newcomer", map[string]float32{"i1": 1, "i2": 1}, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("newcomer's vector has", len(vec), "factors")
	// Output:
	// 3 recommendations for u0; any of its items i0 to i3 among them: false
	// newcomer's vector has 4 factors
}
