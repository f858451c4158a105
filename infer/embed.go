package infer

import (
	"fmt"
	"sync"
	"weak"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
	"github.com/vecdb/vecdb/train"
)

// models caches the models collections were produced by, so a query does
// not read its collection's model each time: an entry stands until a swap
// (DB.Swaps), which is how a retrain replaces a collection and its model.
var models struct {
	sync.Mutex
	m map[modelKey]modelEntry
}

// modelKey holds the database weakly: a closed and dropped *db.DB is not
// kept alive by the cache.
type modelKey struct {
	d    weak.Pointer[db.DB]
	coll string
}

type modelEntry struct {
	swaps uint64
	m     *train.Model // nil: the collection has none
}

// maxCachedModels bounds the cache; past it, it starts over.
const maxCachedModels = 64

// Model returns the model that produced collection coll (see
// train.LoadModel), or nil when no model did.
func Model(d *db.DB, coll string) (*train.Model, error) {
	swaps := d.Swaps()
	k := modelKey{weak.Make(d), coll}
	models.Lock()
	e, ok := models.m[k]
	models.Unlock()
	if ok && e.swaps == swaps {
		return e.m, nil
	}
	m, err := train.LoadModel(d, coll)
	if errors.Is(err, db.ErrNotFound) {
		if _, cerr := d.Collection(coll); cerr != nil {
			return nil, cerr
		}
		m, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	models.Lock()
	if models.m == nil || len(models.m) >= maxCachedModels {
		models.m = make(map[modelKey]modelEntry)
	}
	models.m[k] = modelEntry{swaps: swaps, m: m}
	models.Unlock()
	return m, nil
}

// Embedded returns vec as collection coll (of dimension dim) holds
// vectors: vec itself when it has that dimension; otherwise, when a model
// produced coll and vec has the model's input dimension, the model's
// embedding of it (an image of the model's input shape, a vector of the
// space a projection was fitted in). Any other length is an
// ErrDimensionMismatch error naming both dimensions.
func Embedded(d *db.DB, coll string, dim int, vec []float32) ([]float32, error) {
	if len(vec) == dim {
		return vec, nil
	}
	m, err := Model(d, coll)
	if err != nil {
		return nil, err
	}
	if m == nil || len(vec) != m.In {
		what := ""
		if m != nil {
			what = fmt.Sprintf(" (or %d, the input of its %s model)", m.In, m.Kind)
		}
		return nil, sentinel.Mark(errors.Newf("vector has %d values, collection %q has dimension %d%s", len(vec), coll, dim, what), db.ErrDimensionMismatch)
	}
	out := make([]float32, m.Out)
	m.Embed(out, vec)
	return out, nil
}
