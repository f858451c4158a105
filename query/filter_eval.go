package query

import (
	"math"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/cockroachdb/errors"
)

// Index is what evaluating a [Filter] needs from storage. The db package
// implements it over a Pebble snapshot; tests implement it in memory.
//
// Every returned bitmap belongs to the caller, who may modify it. A nil
// bitmap means an empty one. A bitmap may hold documents that are no longer
// live: [Filter.Eval] intersects its result with All. Eval calls one Index
// from one goroutine at a time.
type Index interface {
	// All returns the live documents.
	All() (*roaring.Bitmap, error)
	// Equal returns the documents whose field f holds v: for a [Keywords]
	// field, the documents whose set contains v.Str. It is asked for
	// [Keyword], [Keywords] (v.Str) and [Bool] (v.Bool) fields; v.Type is
	// f.Type.
	Equal(f Field, v Value) (*roaring.Bitmap, error)
	// IntRange returns the documents whose [Int] field f is in [lo, hi].
	// It is never asked for lo > hi.
	IntRange(f Field, lo, hi int64) (*roaring.Bitmap, error)
	// FloatRange returns the documents whose [Float] field f lies between
	// lo and hi, each bound included when its flag says so. A bound may be
	// ±Inf, never NaN.
	FloatRange(f Field, lo, hi float64, loIncl, hiIncl bool) (*roaring.Bitmap, error)
	// Exists returns the documents that have a value for f (for a
	// [Keywords] field: a non-empty set).
	Exists(f Field) (*roaring.Bitmap, error)
}

// filterNodeKind is the operation of a checked filter node.
type filterNodeKind uint8

const (
	nodeNone       filterNodeKind = iota + 1 // no document
	nodeAll                                  // every live document
	nodeAnd                                  // intersection of kids
	nodeOr                                   // union of kids
	nodeNot                                  // live documents minus kids[0]
	nodeEqual                                // Index.Equal(field, val)
	nodeIntRange                             // Index.IntRange(field, ilo, ihi)
	nodeFloatRange                           // Index.FloatRange(field, flo, fhi, loIncl, hiIncl)
	nodeExists                               // Index.Exists(field)
)

// filterNode is a checked, simplified filter: the predicates are index
// look-ups, and AND, OR and NOT are set operations over their bitmaps.
type filterNode struct {
	kind           filterNodeKind
	kids           []*filterNode
	field          Field
	val            Value
	ilo, ihi       int64
	flo, fhi       float64
	loIncl, hiIncl bool
}

var (
	filterNone = &filterNode{kind: nodeNone}
	filterAll  = &filterNode{kind: nodeAll}
)

// notNode returns NOT x, simplified: NOT NOT x is x (results are always
// cut to the live documents, so the two agree).
func notNode(x *filterNode) *filterNode {
	switch x.kind {
	case nodeNot:
		return x.kids[0]
	case nodeNone:
		return filterAll
	case nodeAll:
		return filterNone
	}
	return &filterNode{kind: nodeNot, kids: []*filterNode{x}}
}

// andNode returns the intersection of kids, flattened and simplified.
func andNode(kids ...*filterNode) *filterNode {
	return junctionNode(nodeAnd, filterAll, filterNone, kids)
}

// orNode returns the union of kids, flattened and simplified.
func orNode(kids ...*filterNode) *filterNode {
	return junctionNode(nodeOr, filterNone, filterAll, kids)
}

// junctionNode builds an AND or OR: nested ones of the same kind are
// spliced in, the neutral element is dropped and the absorbing one wins.
func junctionNode(kind filterNodeKind, neutral, absorbing *filterNode, kids []*filterNode) *filterNode {
	var out []*filterNode
	for _, k := range kids {
		switch {
		case k.kind == absorbing.kind:
			return absorbing
		case k.kind == neutral.kind:
		case k.kind == kind:
			out = append(out, k.kids...)
		default:
			out = append(out, k)
		}
	}
	switch len(out) {
	case 0:
		return neutral
	case 1:
		return out[0]
	}
	return &filterNode{kind: kind, kids: out}
}

// intRangeNode returns the int field's documents in [lo, hi], where either
// bound may be beyond the int64 range.
func intRangeNode(f Field, lo, hi satInt) *filterNode {
	if lo.over > 0 || hi.over < 0 {
		return filterNone
	}
	l, h := lo.v, hi.v
	if lo.over < 0 {
		l = math.MinInt64
	}
	if hi.over > 0 {
		h = math.MaxInt64
	}
	switch {
	case l > h:
		return filterNone
	case l == math.MinInt64 && h == math.MaxInt64:
		return &filterNode{kind: nodeExists, field: f}
	}
	return &filterNode{kind: nodeIntRange, field: f, ilo: l, ihi: h}
}

// floatRangeNode returns the float field's documents between lo and hi.
func floatRangeNode(f Field, lo, hi float64, loIncl, hiIncl bool) *filterNode {
	switch {
	case lo > hi, lo == hi && !(loIncl && hiIncl):
		return filterNone
	case math.IsInf(lo, -1) && loIncl && math.IsInf(hi, 1) && hiIncl:
		return &filterNode{kind: nodeExists, field: f} // NaN is never stored
	}
	return &filterNode{kind: nodeFloatRange, field: f, flo: lo, fhi: hi, loIncl: loIncl, hiIncl: hiIncl}
}

// String renders the node for tests and plans, e.g.
// and(eq(genre, "comedy"), not(int(year, 1990, 1999))).
func (n *filterNode) String() string {
	var b strings.Builder
	n.format(&b)
	return b.String()
}

func (n *filterNode) format(b *strings.Builder) {
	name := formatFilterIdent(n.field.Name)
	switch n.kind {
	case nodeNone:
		b.WriteString("none")
	case nodeAll:
		b.WriteString("all")
	case nodeAnd, nodeOr, nodeNot:
		switch n.kind {
		case nodeAnd:
			b.WriteString("and(")
		case nodeOr:
			b.WriteString("or(")
		default:
			b.WriteString("not(")
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(", ")
			}
			k.format(b)
		}
		b.WriteByte(')')
	case nodeEqual:
		b.WriteString("eq(" + name + ", " + n.val.String() + ")")
	case nodeIntRange:
		b.WriteString("int(" + name + ", " + strconv.FormatInt(n.ilo, 10) + ", " + strconv.FormatInt(n.ihi, 10) + ")")
	case nodeFloatRange:
		lb, rb := "(", ")"
		if n.loIncl {
			lb = "["
		}
		if n.hiIncl {
			rb = "]"
		}
		b.WriteString("float(" + name + ", " + lb + strconv.FormatFloat(n.flo, 'g', -1, 64) + ", " +
			strconv.FormatFloat(n.fhi, 'g', -1, 64) + rb + ")")
	case nodeExists:
		b.WriteString("exists(" + name + ")")
	}
}

// filterEval evaluates nodes against one Index.
type filterEval struct {
	ix  Index
	all *roaring.Bitmap // live documents; never modified
}

func bitmapOrEmpty(b *roaring.Bitmap) *roaring.Bitmap {
	if b == nil {
		return roaring.New()
	}
	return b
}

// eval returns the documents of n, possibly with some that are not live.
// The bitmap belongs to the caller.
func (ev *filterEval) eval(n *filterNode) (*roaring.Bitmap, error) {
	var b *roaring.Bitmap
	var err error
	switch n.kind {
	case nodeNone:
		return roaring.New(), nil
	case nodeAll:
		return ev.all.Clone(), nil
	case nodeAnd:
		return ev.evalAnd(n.kids)
	case nodeOr:
		bs := make([]*roaring.Bitmap, len(n.kids))
		for i, k := range n.kids {
			if bs[i], err = ev.eval(k); err != nil {
				return nil, err
			}
		}
		return roaring.FastOr(bs...), nil
	case nodeNot:
		if b, err = ev.eval(n.kids[0]); err != nil {
			return nil, err
		}
		return roaring.AndNot(ev.all, b), nil
	case nodeEqual:
		b, err = ev.ix.Equal(n.field, n.val)
	case nodeIntRange:
		b, err = ev.ix.IntRange(n.field, n.ilo, n.ihi)
	case nodeFloatRange:
		b, err = ev.ix.FloatRange(n.field, n.flo, n.fhi, n.loIncl, n.hiIncl)
	case nodeExists:
		b, err = ev.ix.Exists(n.field)
	default:
		return nil, errors.AssertionFailedf("filter node of kind %d", n.kind)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "reading %s", n)
	}
	return bitmapOrEmpty(b), nil
}

// evalAnd intersects the kids that are not NOTs, stopping early once the
// result is empty, then subtracts the operands of the NOTs, so that
// "a AND NOT b" costs one AndNot rather than a complement and an And.
func (ev *filterEval) evalAnd(kids []*filterNode) (*roaring.Bitmap, error) {
	var acc *roaring.Bitmap
	for _, k := range kids {
		if k.kind == nodeNot {
			continue
		}
		b, err := ev.eval(k)
		if err != nil {
			return nil, err
		}
		if acc == nil {
			acc = b
		} else {
			acc.And(b)
		}
		if acc.IsEmpty() {
			return acc, nil
		}
	}
	if acc == nil {
		acc = ev.all.Clone()
	}
	for _, k := range kids {
		if k.kind != nodeNot {
			continue
		}
		b, err := ev.eval(k.kids[0])
		if err != nil {
			return nil, err
		}
		if acc.AndNot(b); acc.IsEmpty() {
			return acc, nil
		}
	}
	return acc, nil
}
