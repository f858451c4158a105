package train

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// A collection produced by a model (PCA, a random projection, a network)
// stores the model beside it, in an internal companion collection that is
// replaced with it in one atomic swap and dropped with it: a header record
// (kind, storage version, input and output dimensions, input shape and
// value range, the model's configuration as JSON, a checksum) and the
// model's parameters in rows of modelChunk floats.

// ModelVersion is the storage version of models this release writes;
// LoadModel refuses a newer one.
const ModelVersion = 1

// modelChunk is the number of parameters a record of the companion holds.
const modelChunk = 1024

// modelHeaderID is the ID of the companion's header record.
const modelHeaderID = "model"

// ModelName is the internal companion collection holding the model that
// produced collection coll.
func ModelName(coll string) string { return db.InternalName("model", coll) }

// modelFields are the header's fields.
var modelFields = []db.Field{
	{Name: "kind", Type: db.Keyword}, {Name: "version", Type: db.Int},
	{Name: "in", Type: db.Int}, {Name: "out", Type: db.Int},
	{Name: "shape", Type: db.Keyword}, {Name: "lo", Type: db.Float}, {Name: "hi", Type: db.Float},
	{Name: "normalize", Type: db.Bool}, {Name: "config", Type: db.Keyword},
	{Name: "params", Type: db.Int}, {Name: "crc", Type: db.Int},
}

// Embedder is a trained model: it maps an input vector (InDim values) to
// the vector a collection holds (OutDim values). Embed must be safe for
// concurrent use.
type Embedder interface {
	InDim() int
	OutDim() int
	Embed(dst, src []float32)
}

// Shape is an image model's input shape: H x W x C values, row-major,
// channels last.
type Shape struct{ H, W, C int }

// String renders the shape as "HxWxC".
func (s Shape) String() string {
	if s == (Shape{}) {
		return ""
	}
	return strconv.Itoa(s.H) + "x" + strconv.Itoa(s.W) + "x" + strconv.Itoa(s.C)
}

// ParseShape parses "HxWxC" (or "HxW", one channel).
func ParseShape(s string) (Shape, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "x")
	if len(parts) == 2 {
		parts = append(parts, "1")
	}
	if len(parts) != 3 {
		return Shape{}, sentinel.Mark(errors.Newf("shape %q: want HxWxC, e.g. 28x28x1", s), db.ErrInvalid)
	}
	var v [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1<<14 {
			return Shape{}, sentinel.Mark(errors.Newf("shape %q: %q is not a size from 1 to 16384", s, p), db.ErrInvalid)
		}
		v[i] = n
	}
	return Shape{H: v[0], W: v[1], C: v[2]}, nil
}

// Size returns H x W x C.
func (s Shape) Size() int { return s.H * s.W * s.C }

// ModelInfo describes a stored model.
type ModelInfo struct {
	// Kind is the model's family: "pca", "rp" or "cnn".
	Kind string
	// Version is the storage version it was written with.
	Version int
	// In and Out are its input and output dimensions.
	In, Out int
	// Shape is an image model's input shape (zero otherwise).
	Shape Shape
	// Lo and Hi are the range of the values it was trained on. With
	// Normalize, inputs are mapped from it to [0, 1] before the model
	// sees them.
	Lo, Hi    float32
	Normalize bool
	// Config is the model's own configuration (JSON).
	Config json.RawMessage
	// Params is the number of parameters; CRC their checksum (CRC-32C of
	// the configuration and the parameters' little-endian bytes).
	Params int
	CRC    uint32
}

// Model is a stored model, ready to embed.
type Model struct {
	ModelInfo
	e      Embedder
	params []float32
}

// NewModel wraps a trained embedder with its description (Kind, Shape,
// Lo, Hi, Normalize and Config; the rest is filled in when it is stored)
// and its parameters, which a decoder registered for the kind rebuilds it
// from.
func NewModel(info ModelInfo, e Embedder, params []float32) *Model {
	info.In, info.Out, info.Version = e.InDim(), e.OutDim(), ModelVersion
	info.Params, info.CRC = len(params), checksum(info.Config, params)
	return &Model{ModelInfo: info, e: e, params: params}
}

// Embedder returns the trained model inside.
func (m *Model) Embedder() Embedder { return m.e }

// Embed maps src (In values, in the training data's range) to dst (Out
// values). It is safe for concurrent use.
func (m *Model) Embed(dst, src []float32) {
	if !m.Normalize || m.Hi <= m.Lo {
		m.e.Embed(dst, src)
		return
	}
	x := make([]float32, len(src))
	scale := 1 / (m.Hi - m.Lo)
	for i, v := range src {
		x[i] = (v - m.Lo) * scale
	}
	m.e.Embed(dst, x)
}

// EmbedBatch embeds n = len(src)/In vectors into dst (n x Out) on
// threads goroutines (0: GOMAXPROCS).
func (m *Model) EmbedBatch(dst, src []float32, threads int) {
	n := len(src) / m.In
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = max(min(threads, n), 1)
	var wg sync.WaitGroup
	for t := range threads {
		wg.Go(func() {
			for i := t; i < n; i += threads {
				m.Embed(dst[i*m.Out:(i+1)*m.Out], src[i*m.In:(i+1)*m.In])
			}
		})
	}
	wg.Wait()
}

// checksum returns the CRC-32C of a model's configuration and parameters.
func checksum(config []byte, params []float32) uint32 {
	tab := crc32.MakeTable(crc32.Castagnoli)
	h := crc32.Update(0, tab, config)
	var b [4 * 256]byte
	for len(params) > 0 {
		n := min(len(params), 256)
		for i, p := range params[:n] {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(p))
		}
		h = crc32.Update(h, tab, b[:4*n])
		params = params[n:]
	}
	return h
}

// stageModel writes the model that produced out.Collection, with its
// parameters, into the staging collection of its companion; swapIn then
// replaces the companion with the collection.
func stageModel(ctx context.Context, out Output, m *Model) (staged, error) {
	params := m.params
	for i, p := range params {
		if math.IsNaN(float64(p)) || math.IsInf(float64(p), 0) {
			return staged{}, errors.Newf("model %s: parameter %d is %v: the training diverged", m.Kind, i, p)
		}
	}
	if len(m.Config) > db.MaxKeywordLen {
		return staged{}, errors.Newf("model %s: configuration of %d bytes (at most %d)", m.Kind, len(m.Config), db.MaxKeywordLen)
	}
	m.Params, m.CRC, m.Version = len(params), checksum(m.Config, params), ModelVersion
	header := db.Meta{
		"kind": m.Kind, "version": m.Version, "in": m.In, "out": m.Out, "shape": m.Shape.String(),
		"lo": float64(m.Lo), "hi": float64(m.Hi), "normalize": m.Normalize, "config": string(m.Config),
		"params": m.Params, "crc": int64(m.CRC),
	}
	chunks := (len(params) + modelChunk - 1) / modelChunk
	mo := Output{DB: out.DB, Collection: ModelName(out.Collection), Fields: modelFields, IndexAbove: -1}
	row := make([]float32, modelChunk)
	return stage(ctx, mo, db.L2, modelChunk, chunks+1, func(i int) (string, []float32, db.Meta) {
		if i == chunks {
			clear(row)
			return modelHeaderID, row, header
		}
		clear(row)
		copy(row, params[i*modelChunk:])
		return strconv.Itoa(i), row, nil
	})
}

// modelDecoders rebuild a model's embedder from its configuration and
// parameters, by kind.
var modelDecoders = map[string]func(config []byte, params []float32) (Embedder, error){}

// LoadModel reads the model that produced collection coll: an ErrNotFound
// error when coll has none, an ErrCorruption error when its checksum does
// not match.
func LoadModel(d *db.DB, coll string) (m *Model, err error) {
	err = d.View(func() error {
		m, err = loadModel(d, coll)
		return err
	})
	return m, err
}

func loadModel(d *db.DB, coll string) (*Model, error) {
	name := ModelName(coll)
	h, err := d.Get(name, modelHeaderID)
	if err != nil {
		if errors.Is(err, db.ErrNotFound) {
			if _, cerr := d.Collection(coll); cerr != nil {
				return nil, cerr
			}
			return nil, sentinel.Mark(errors.Newf("collection %q was not produced by a model", coll), db.ErrNotFound)
		}
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return sentinel.Mark(errors.Newf("the model of collection %q: "+format, append([]any{coll}, args...)...), db.ErrCorruption)
	}
	num := func(k string) int64 { v, _ := h.Meta[k].(int64); return v }
	flt := func(k string) float32 { v, _ := h.Meta[k].(float64); return float32(v) }
	kind, _ := h.Meta["kind"].(string)
	config, _ := h.Meta["config"].(string)
	shapeText, _ := h.Meta["shape"].(string)
	normalize, _ := h.Meta["normalize"].(bool)
	info := ModelInfo{Kind: kind, Version: int(num("version")), In: int(num("in")), Out: int(num("out")),
		Lo: flt("lo"), Hi: flt("hi"), Normalize: normalize, Config: json.RawMessage(config),
		Params: int(num("params")), CRC: uint32(num("crc"))}
	if info.Version > ModelVersion {
		return nil, sentinel.Mark(errors.Newf("the model of collection %q has storage version %d; this release reads up to %d", coll, info.Version, ModelVersion), db.ErrInvalid)
	}
	if shapeText != "" {
		if info.Shape, err = ParseShape(shapeText); err != nil {
			return nil, bad("shape %q", shapeText)
		}
	}
	if info.Params < 0 || info.Params > 1<<28 || info.In < 1 || info.Out < 1 {
		return nil, bad("%d parameters, dimensions %d -> %d", info.Params, info.In, info.Out)
	}
	params := make([]float32, 0, info.Params)
	for i := 0; len(params) < info.Params; i++ {
		rec, err := d.Get(name, strconv.Itoa(i))
		if err != nil {
			if errors.Is(err, db.ErrNotFound) {
				return nil, bad("parameter row %d is missing", i)
			}
			return nil, err
		}
		params = append(params, rec.Vector[:min(len(rec.Vector), info.Params-len(params))]...)
	}
	if got := checksum(info.Config, params); got != info.CRC {
		return nil, bad("checksum %08x, stored %08x", got, info.CRC)
	}
	decode, ok := modelDecoders[kind]
	if !ok {
		return nil, sentinel.Mark(errors.Newf("the model of collection %q is of kind %q, which this release does not know", coll, kind), db.ErrInvalid)
	}
	e, err := decode(info.Config, params)
	if err != nil {
		return nil, bad("%v", err)
	}
	if e.InDim() != info.In || e.OutDim() != info.Out {
		return nil, bad("dimensions %d -> %d, stored %d -> %d", e.InDim(), e.OutDim(), info.In, info.Out)
	}
	return &Model{ModelInfo: info, e: e, params: params}, nil
}
