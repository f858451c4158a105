package infer

import (
	"context"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train"
)

// RecommendRequest asks for a user's recommendations.
type RecommendRequest struct {
	Users, Items, User string
	K                  int
	// Filter restricts the items, e.g. `genres IN ("Comedy")`.
	Filter string
	// IncludeSeen keeps the items the user interacted with.
	IncludeSeen bool
	// WithMeta adds each item's metadata to its result.
	WithMeta bool
}

// Recommend returns the K items with the highest score (dot product) for
// a user, leaving out the items the user has seen (the user's
// [train.FieldSeen] field) unless asked not to. Distances are minus the
// score. The user's vector and the items are read in one [db.DB.View], so
// a retrain that swaps both collections cannot pair one model's user with
// the other's items.
func Recommend(ctx context.Context, d *db.DB, r RecommendRequest) (res []db.Result, err error) {
	err = d.View(func() error {
		res, err = recommendOnce(ctx, d, r)
		return err
	})
	return res, err
}

// recommendHook, when set (by tests), runs between reading the user and
// searching the items.
var recommendHook func()

func recommendOnce(ctx context.Context, d *db.DB, r RecommendRequest) ([]db.Result, error) {
	u, err := d.Get(r.Users, r.User)
	if err != nil {
		return nil, errors.Wrapf(err, "user %q", r.User)
	}
	if recommendHook != nil {
		recommendHook()
	}
	req := &db.SearchRequest{Vector: u.Vector, K: r.K, Filter: r.Filter, WithMeta: r.WithMeta}
	if !r.IncludeSeen {
		seen, _ := u.Meta[train.FieldSeen].([]string)
		req.ExcludeIDs = seen
	}
	return d.Search(ctx, r.Items, req)
}
