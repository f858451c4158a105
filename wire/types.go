package wire

// Field is one declared metadata field.
type Field struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Schema is a collection's schema, and the model that produced it.
type Schema struct {
	Name   string  `json:"name"`
	Dim    int     `json:"dim"`
	Metric string  `json:"metric"`
	Fields []Field `json:"fields"`
	// Model describes the model that produced the collection (vecdb train
	// pca|rp|cnn, vecdb embed); nil for others.
	Model *Model `json:"model,omitempty"`
}

// Model describes the model that produced a collection: vectors of its
// input dimension (an image of its shape) are embedded by it first.
type Model struct {
	Kind  string  `json:"kind"`
	In    int     `json:"in"`
	Out   int     `json:"out"`
	Shape string  `json:"shape,omitempty"`
	Lo    float32 `json:"lo"`
	Hi    float32 `json:"hi"`
}

// CreateCollection is the body of POST /v1/collections: fields map a
// field's name to its type (keyword, keywords, int, float, bool).
type CreateCollection struct {
	Name   string            `json:"name"`
	Dim    int               `json:"dim"`
	Metric string            `json:"metric,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

// Stats is one collection's statistics (vecdb stats COLL --json, GET
// /v1/collections/{c}).
type Stats struct {
	Schema
	Count      uint64 `json:"count"`
	DiskBytes  uint64 `json:"disk_bytes"`
	Normalized bool   `json:"normalized"`
	// VectorCacheBytes is the memory of the collection's rows held in
	// memory (records newer than its index's vector file).
	VectorCacheBytes int64  `json:"vector_cache_bytes"`
	IndexDamaged     string `json:"index_damaged,omitempty"`
	Index            *Index `json:"index,omitempty"`
	// Memory is what the process held after reading the statistics
	// (the same for every collection).
	Memory *Memory `json:"memory,omitempty"`
}

// StatsList is the statistics of every collection (vecdb stats --json,
// GET /v1/collections).
type StatsList struct {
	Collections []Stats `json:"collections"`
	Memory      *Memory `json:"memory,omitempty"`
}

// Memory is the process's memory budget, its shares and what each holds,
// in bytes.
type Memory struct {
	Budget         int64 `json:"budget"`
	BlockCache     int64 `json:"block_cache"`
	BlockCacheUsed int64 `json:"block_cache_used"`
	MemTable       int64 `json:"memtable"`
	MemTableUsed   int64 `json:"memtable_used"`
	Rows           int64 `json:"rows"`
	RowsUsed       int64 `json:"rows_used"`
	Lists          int64 `json:"lists"`
	ListsUsed      int64 `json:"lists_used"`
	Bitmaps        int64 `json:"bitmaps"`
	BitmapsUsed    int64 `json:"bitmaps_used"`
	Mapped         int64 `json:"mapped"`
	MappedResident int64 `json:"mapped_resident"`
}

// Index is the index part of Stats: shape, list balance and drift.
type Index struct {
	Generation uint32 `json:"generation"`
	Codec      string `json:"codec"`
	Lists      int    `json:"lists"`
	M          int    `json:"m"`
	// PCA is the output dimension of a PCA pre-transform (build --pca).
	PCA       int `json:"pca,omitempty"`
	CodeBytes int `json:"code_bytes"`
	// Description is the index in the index-factory style of the text
	// output: "IVF512,PQ64x4fs", "PCA128,IVF256,RaBitQx4".
	Description     string       `json:"description"`
	Codes           int          `json:"codes"`
	ListMin         int          `json:"list_min"`
	ListMax         int          `json:"list_max"`
	ListMean        float64      `json:"list_mean"`
	ListCV          float64      `json:"list_cv"`
	Built           uint64       `json:"built"`
	Added           uint64       `json:"added"`
	Drift           float64      `json:"drift"`
	NProbe          int          `json:"nprobe"`
	Refine          int          `json:"refine"`
	VectorFile      bool         `json:"vector_file"`
	VectorFileRows  uint64       `json:"vector_file_rows"`
	VectorFileBytes int64        `json:"vector_file_bytes"`
	ListsWithBlocks int          `json:"lists_with_blocks"`
	Calibration     *Calibration `json:"calibration,omitempty"`
	RebuildAdvised  bool         `json:"rebuild_advised"`
	Advice          string       `json:"advice"`
}

// Calibration is an index's measured recall curve (build --target-recall).
type Calibration struct {
	Target         float64            `json:"target"`
	K              int                `json:"k"`
	Queries        int                `json:"queries"`
	NProbe         int                `json:"nprobe"`
	Refine         int                `json:"refine"`
	TargetAchieved bool               `json:"target_achieved"`
	Seconds        float64            `json:"seconds"`
	Points         []CalibrationPoint `json:"points"`
}

// CalibrationPoint is one measured setting of a Calibration.
type CalibrationPoint struct {
	NProbe int     `json:"nprobe"`
	Refine int     `json:"refine"`
	Recall float64 `json:"recall"`
	Micros float64 `json:"us_per_query"`
}

// Record is one record: vecdb get --json, GET .../records/{id}, and an
// element of an upsert batch. Meta holds keyword strings, keywords arrays
// of strings, numbers and bools; decoded with json.Decoder.UseNumber, so
// an int field's value keeps every digit.
type Record struct {
	ID     string         `json:"id"`
	Vector []float32      `json:"vector"`
	Meta   map[string]any `json:"meta"`
}

// Upsert is the body of POST /v1/collections/{c}/records.
type Upsert struct {
	Records []Record `json:"records"`
}

// Written answers an upsert once its batch is durable.
type Written struct {
	Written int `json:"written"`
}

// Deleted answers a delete (vecdb delete --json; DELETE .../records/{id}).
type Deleted struct {
	Collection string `json:"collection"`
	Deleted    int    `json:"deleted"`
	Requested  int    `json:"requested"`
}

// SearchRequest is the body of POST /v1/collections/{c}/search: exactly
// one of Vector, ID and Queries. Pointers distinguish "not given" (the
// index's default) from zero: "refine":0 searches the codes alone.
type SearchRequest struct {
	Vector       []float32   `json:"vector,omitempty"`
	ID           string      `json:"id,omitempty"`
	Queries      [][]float32 `json:"queries,omitempty"`
	K            int         `json:"k,omitempty"`
	Filter       string      `json:"filter,omitempty"`
	NProbe       int         `json:"nprobe,omitempty"`
	Refine       *int        `json:"refine,omitempty"`
	Exact        bool        `json:"exact,omitempty"`
	Explain      bool        `json:"explain,omitempty"`
	WithMeta     bool        `json:"with_meta,omitempty"`
	TargetRecall float64     `json:"target_recall,omitempty"`
	// Only restricts the search to these record IDs; Exclude leaves
	// these out (vecdb search --only, --exclude).
	Only    []string `json:"only,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// From, with ID, reads the query record from this collection instead:
	// a record of the input dimension of the model that produced the
	// searched collection is embedded by it (vecdb search OUT --id ID
	// --from COLL). A record with the same ID in the searched collection
	// is left out, as with ID alone.
	From string `json:"from,omitempty"`
	// PostFilter answers a filtered search by an unfiltered probe that
	// the filter then thins (vecdb bench --postfilter): in process only,
	// never sent or taken over the wire.
	PostFilter bool `json:"-"`
}

// Hit is one search result. Distance is smaller-is-closer.
type Hit struct {
	ID       string         `json:"id"`
	Distance float32        `json:"distance"`
	Meta     map[string]any `json:"meta,omitempty"`
}

// SearchResponse is what a search prints and answers: one inner list per
// query, in query order, closest first; with explain, one plan per query.
type SearchResponse struct {
	Results [][]Hit `json:"results"`
	Explain []Plan  `json:"explain,omitempty"`
}

// Plan is how one query was answered.
type Plan struct {
	Strategy      string  `json:"strategy"`
	Reason        string  `json:"reason"`
	Candidates    uint64  `json:"candidates"`
	Selectivity   float64 `json:"selectivity"`
	NProbe        int     `json:"nprobe,omitempty"`
	Budget        int     `json:"budget,omitempty"`
	ListsProbed   int     `json:"lists_probed"`
	ListsSkipped  int     `json:"lists_skipped"`
	CodesScored   int     `json:"codes_scored"`
	AllowedScored int     `json:"allowed_scored"`
	Rejected      int     `json:"rejected,omitempty"`
	Reranked      int     `json:"reranked"`
	BoundSkipped  int     `json:"bound_skipped,omitempty"`
	Widened       int     `json:"widened,omitempty"`
	Deepened      int     `json:"deepened,omitempty"`
	FilterMS      float64 `json:"filter_ms"`
	ScanMS        float64 `json:"scan_ms"`
	RerankMS      float64 `json:"rerank_ms"`
	ResolveMS     float64 `json:"resolve_ms"`
}

// RecommendRequest is the body of POST /v1/recommend.
type RecommendRequest struct {
	Users       string `json:"users"`
	Items       string `json:"items"`
	User        string `json:"user"`
	K           int    `json:"k,omitempty"`
	Filter      string `json:"filter,omitempty"`
	IncludeSeen bool   `json:"include_seen,omitempty"`
	WithMeta    bool   `json:"with_meta,omitempty"`
}

// AnalogyRequest is the body of POST /v1/collections/{c}/analogy: the
// words nearest to B - A + C.
type AnalogyRequest struct {
	A string `json:"a"`
	B string `json:"b"`
	C string `json:"c"`
	K int    `json:"k,omitempty"`
}

// BuildRequest is the body of POST /v1/collections/{c}/build: the options
// of vecdb build (zero: the default).
type BuildRequest struct {
	Codec        string  `json:"codec,omitempty"`
	Lists        int     `json:"lists,omitempty"`
	M            int     `json:"m,omitempty"`
	NBits        int     `json:"nbits,omitempty"`
	Sample       int     `json:"sample,omitempty"`
	NProbe       int     `json:"nprobe,omitempty"`
	Refine       int     `json:"refine,omitempty"`
	Seed         uint64  `json:"seed,omitempty"`
	OPQ          bool    `json:"opq,omitempty"`
	TargetRecall float64 `json:"target_recall,omitempty"`
	// PCA is the dimension of a PCA pre-transform (vecdb build --pca; 0:
	// none).
	PCA int `json:"pca,omitempty"`
}

// Build is what a build did (vecdb build --json; a build job's result).
type Build struct {
	Collection string `json:"collection"`
	Codec      string `json:"codec"`
	Lists      int    `json:"lists"`
	M          int    `json:"m"`
	// Bits is the bits per dimension of rabitq codes (0 for PQ).
	Bits int `json:"bits,omitempty"`
	// PCA is the dimension of the PCA pre-transform (0: none), CodeBytes
	// the bytes of a record's code, and Description the index in the
	// index-factory style: "PCA128,IVF256,RaBitQx4".
	PCA           int     `json:"pca,omitempty"`
	CodeBytes     int     `json:"code_bytes,omitempty"`
	Description   string  `json:"description,omitempty"`
	Sample        int     `json:"sample"`
	Encoded       int     `json:"encoded"`
	CaughtUp      int     `json:"caught_up"`
	NProbe        int     `json:"nprobe"`
	Refine        int     `json:"refine"`
	TrainSeconds  float64 `json:"train_seconds"`
	EncodeSeconds float64 `json:"encode_seconds"`
	WriteSeconds  float64 `json:"write_seconds"`
	// Calibration is the measured recall curve (build --target-recall).
	Calibration *Calibration `json:"calibration,omitempty"`
}

// Job states.
const (
	JobRunning   = "running"
	JobDone      = "done"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// Job is a long operation the server runs in the background (a build).
type Job struct {
	ID         string  `json:"id"`
	Kind       string  `json:"kind"`
	Collection string  `json:"collection,omitempty"`
	State      string  `json:"state"`
	Progress   float64 `json:"progress"`
	Stage      string  `json:"stage,omitempty"`
	Error      string  `json:"error,omitempty"`
	// Build is the build's result once State is done.
	Build *Build `json:"build,omitempty"`
}

// Jobs is GET /v1/jobs.
type Jobs struct {
	Jobs []Job `json:"jobs"`
}

// JobCreated answers POST .../build with 202.
type JobCreated struct {
	Job string `json:"job"`
}

// Error is every error answer: one line. A refused upsert batch also
// names the bad record's index in the batch.
type Error struct {
	Error string `json:"error"`
	Index *int   `json:"index,omitempty"`
}

// Health answers GET /healthz.
type Health struct {
	OK bool `json:"ok"`
}
