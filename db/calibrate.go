package db

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/internal/fault"
	"github.com/vecdb/vecdb/internal/sentinel"
)

// Calibration is an index generation's measured recall curves: recall@K
// of searches over Queries of the collection's own records (each left out
// of its own results and truth) against exact search, for each re-rank
// depth tried (the build's Refine and smaller ones), at each nprobe tried,
// with the mean single-thread time of a search. A build with a
// TargetRecall measures it; searches then default to the fastest measured
// (nprobe, refine) that reached the target (DefaultNProbe,
// DefaultRefine), and SearchRequest.TargetRecall picks from it per
// request.
type Calibration struct {
	Target         float64
	K, Queries     int
	Points         []CalibrationPoint
	Measured       time.Duration
	DefaultNProbe  int
	DefaultRefine  int
	TargetAchieved bool
}

// CalibrationPoint is one point of a Calibration: recall@K and the mean
// single-thread search time at NProbe and Refine. Refine 0 is a search of
// the codes alone (SearchRequest.CodesOnly), measured for RaBitQ codes.
type CalibrationPoint struct {
	NProbe, Refine int
	Recall         float64
	Micros         float64
}

// For returns the setting for target, and whether one reached it: for
// each refine, the smallest nprobe whose recall reached target (a larger
// nprobe only does more work), and of those the fastest measured; if none
// reached it, the setting of the highest recall.
func (c *Calibration) For(target float64) (nprobe, refine int, ok bool) {
	best := -1
	for i, p := range c.Points {
		if p.Recall < target || (i > 0 && c.Points[i-1].Refine == p.Refine && c.Points[i-1].Recall >= target) {
			continue // below target, or not the smallest nprobe of its refine
		}
		if best < 0 || p.Micros < c.Points[best].Micros {
			best = i
		}
	}
	if best >= 0 {
		return c.Points[best].NProbe, c.Points[best].Refine, true
	}
	for i, p := range c.Points {
		if best < 0 || p.Recall > c.Points[best].Recall {
			best = i
		}
	}
	return c.Points[best].NProbe, c.Points[best].Refine, false
}

// calibrationQueries bounds the held-out queries a calibration runs: 200
// give a recall@10 with a standard error of about 0.01 at 0.95, and their
// exact truth over 1M x 128 costs a few seconds.
const calibrationQueries = 200

// calibrationK is the k of the measured recall, the usual recall@10.
const calibrationK = 10

// refineSteps are the re-rank depths a calibration tries besides the
// build's (when smaller): fewer candidates re-ranked cost less where rows
// are long (784-d: about 0.8 us a row), and fine codes may not need many.
var refineSteps = []int{5, 3, 2}

// deeperRefines are the multiples of the build's re-rank depth a
// calibration tries, in order, when no curve reached the target: data in
// tight clusters (class-trained image embeddings, whose ten nearest lie
// within a few thousandths of each other in a class of thousands) needs
// more candidates re-ranked than the codes order well. On fashion-mnist's
// CNN-64 embeddings, refine 10 stayed at 0.87 from nprobe 16 on, refine
// 40 reached 0.98.
var deeperRefines = []int{2, 4, 8}

// nprobeSteps are the nprobe values a calibration tries, in order, up to
// the number of lists.
var nprobeSteps = []int{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536}

// calibrate measures the serving generation gen of c (see Calibration)
// and stores the curve with it. It stops at the first nprobe whose recall
// reaches min(target + 0.02, 0.995) or at every list.
func (d *DB) calibrate(ctx context.Context, c *collection, gen uint32, target float64, seed uint64) (*Calibration, error) {
	start := time.Now()
	st := c.ix.Load()
	if st == nil || st.gen != gen {
		return nil, errors.Newf("vecdb: collection %q: generation %d is no longer serving", c.schema.Name, gen)
	}
	qs, ids, err := d.calibrationSample(c, seed)
	if err != nil {
		return nil, err
	}
	name := c.schema.Name
	k := calibrationK
	truth, err := d.SearchMany(ctx, name, qs, &SearchRequest{K: k + 1, Exact: true})
	if err != nil {
		return nil, errors.Wrap(err, "calibration: exact search")
	}
	cal := &Calibration{Target: target, K: k, Queries: len(qs)}
	refines := []int{int(st.ptr.refine)}
	for _, r := range refineSteps {
		if r < refines[0] {
			refines = append(refines, r)
		}
	}
	if st.ivf.CodeBits() > 1 {
		// RaBitQ's B-bit estimates may reach the target with no re-rank
		// at all, which reads no raw vector.
		refines = append(refines, 0)
	}
	// One untimed pass first: a fresh process maps the pages of the
	// vector file as queries touch them, which would weigh on the first
	// points timed.
	if _, err := d.SearchMany(ctx, name, qs, &SearchRequest{K: k + 1, NProbe: min(64, st.ivf.NList), Threads: 1}); err != nil {
		return nil, errors.Wrap(err, "calibration")
	}
	stop := min(target+0.02, 0.995)
	// A curve ends at the first nprobe past the stop, at every list, or
	// when its recall stops growing (the re-rank depth caps it): by less
	// than a tenth of a point.
	curve := func(refine int) error {
		prev := -1.0
		for _, np := range nprobeSteps {
			np = min(np, st.ivf.NList)
			t0 := time.Now()
			got, err := d.SearchMany(ctx, name, qs, &SearchRequest{K: k + 1, NProbe: np, Refine: refine, CodesOnly: refine == 0, Threads: 1})
			if err != nil {
				return errors.Wrap(err, "calibration")
			}
			micros := float64(time.Since(t0).Nanoseconds()) / 1e3 / float64(len(qs))
			var sum float64
			for i := range qs {
				sum += recallOf(withoutID(got[i], ids[i], k), withoutID(truth[i], ids[i], k), k)
			}
			r := sum / float64(len(qs))
			cal.Points = append(cal.Points, CalibrationPoint{NProbe: np, Refine: refine, Recall: r, Micros: micros})
			if r >= stop || np == st.ivf.NList || r < prev+0.001 {
				return nil
			}
			prev = r
		}
		return nil
	}
	for _, refine := range refines {
		if err := curve(refine); err != nil {
			return nil, err
		}
	}
	for _, f := range deeperRefines {
		if _, _, ok := cal.For(target); ok || refines[0] == 0 {
			break
		}
		if err := curve(f * refines[0]); err != nil {
			return nil, err
		}
	}
	cal.DefaultNProbe, cal.DefaultRefine, cal.TargetAchieved = cal.For(target)
	cal.Measured = time.Since(start)
	return cal, d.storeCalibration(c, gen, cal)
}

// calibrationSample returns the rows and IDs of up to calibrationQueries
// live records chosen by seed (a quarter of the collection at most).
func (d *DB) calibrationSample(c *collection, seed uint64) ([][]float32, []string, error) {
	in, err := d.beginBuild(c)
	if err != nil {
		return nil, nil, err
	}
	defer in.close()
	n := int(in.live.GetCardinality())
	size := min(calibrationQueries, max(n/4, 1))
	docs := index.SampleDocs(in.live, size, seed^0xca1b)
	dim := c.schema.Dim
	flat := make([]float32, size*dim)
	got := 0
	err = fault.Guard(func() error {
		return in.rows.Fetch(docs, func(i int, row []float32) {
			copy(flat[i*dim:], row)
			got++
		})
	})
	if err == nil && got != size {
		err = corruptionf("calibration: %d of %d live docs have no vector", size-got, size)
	}
	if err != nil {
		return nil, nil, err
	}
	qs := make([][]float32, size)
	for i := range qs {
		qs[i] = flat[i*dim : (i+1)*dim]
	}
	ids := make([]string, size)
	r := newIDReader(in.snap, in.rows)
	defer r.close()
	for i, doc := range docs {
		if ids[i], err = r.get(doc); err != nil {
			return nil, nil, err
		}
	}
	return qs, ids, nil
}

// withoutID returns the first k results other than id.
func withoutID(rs []Result, id string, k int) []Result {
	out := make([]Result, 0, k)
	for _, r := range rs {
		if r.ID != id && len(out) < k {
			out = append(out, r)
		}
	}
	return out
}

// recallOf is the share of truth's IDs (at most k) that got holds.
func recallOf(got, truth []Result, k int) float64 {
	if len(truth) == 0 {
		return 1
	}
	hit := 0
	for _, t := range truth[:min(k, len(truth))] {
		if slices.ContainsFunc(got, func(r Result) bool { return r.ID == t.ID }) {
			hit++
		}
	}
	return float64(hit) / float64(min(k, len(truth)))
}

// storeCalibration writes cal with generation gen of c, if it still
// serves, and publishes it.
func (d *DB) storeCalibration(c *collection, gen uint32, cal *Calibration) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	st := c.ix.Load()
	if st == nil || st.gen != gen {
		return errors.Newf("vecdb: collection %q: generation %d was replaced during its calibration", c.schema.Name, gen)
	}
	if err := d.pdb.Set(indexCalibrationKey(c.id, gen), cal.encode(), d.writeOpts()); err != nil {
		return errors.Wrap(err, "storing the calibration")
	}
	st.calib.Store(cal)
	return nil
}

// loadCalibration reads generation st's calibration, if it has one.
func loadCalibration(r reader, c *collection, st *ivfState) error {
	v, closer, err := r.Get(indexCalibrationKey(c.id, st.gen))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer closer.Close()
	cal, err := decodeCalibration(v)
	if err != nil {
		return sentinel.Mark(errors.Wrapf(err, "collection %q: calibration of generation %d", c.schema.Name, st.gen), ErrCorruption)
	}
	st.calib.Store(cal)
	return nil
}

// Stored calibration:
//
//	+---------+------------+-------+-------------+----------------+-------+----------------------------------------------------+
//	| version | target f64 | k u32 | queries u32 | measured µs u64 | n u32 | n x (nprobe u32, refine u32, recall f64, µs f64)  |
//	+---------+------------+-------+-------------+----------------+-------+----------------------------------------------------+
const calibrationVersion byte = 1

func (c *Calibration) encode() []byte {
	le := binary.LittleEndian
	b := []byte{calibrationVersion}
	b = le.AppendUint64(b, math.Float64bits(c.Target))
	b = le.AppendUint32(b, uint32(c.K))
	b = le.AppendUint32(b, uint32(c.Queries))
	b = le.AppendUint64(b, uint64(c.Measured.Microseconds()))
	b = le.AppendUint32(b, uint32(len(c.Points)))
	for _, p := range c.Points {
		b = le.AppendUint32(b, uint32(p.NProbe))
		b = le.AppendUint32(b, uint32(p.Refine))
		b = le.AppendUint64(b, math.Float64bits(p.Recall))
		b = le.AppendUint64(b, math.Float64bits(p.Micros))
	}
	return b
}

const (
	calibrationHeaderLen = 1 + 8 + 4 + 4 + 8 + 4
	calibrationPointLen  = 4 + 4 + 8 + 8
)

func decodeCalibration(b []byte) (*Calibration, error) {
	le := binary.LittleEndian
	if len(b) < calibrationHeaderLen || b[0] != calibrationVersion {
		return nil, errors.New("bad calibration header")
	}
	c := &Calibration{
		Target: math.Float64frombits(le.Uint64(b[1:])), K: int(le.Uint32(b[9:])), Queries: int(le.Uint32(b[13:])),
		Measured: time.Duration(le.Uint64(b[17:])) * time.Microsecond,
	}
	n := uint64(le.Uint32(b[25:]))
	rest := b[calibrationHeaderLen:]
	if n == 0 || n*calibrationPointLen != uint64(len(rest)) {
		return nil, errors.Newf("calibration of %d points in %d bytes", n, len(rest))
	}
	for i := range int(n) {
		p := rest[i*calibrationPointLen:]
		pt := CalibrationPoint{NProbe: int(le.Uint32(p)), Refine: int(le.Uint32(p[4:])),
			Recall: math.Float64frombits(le.Uint64(p[8:])), Micros: math.Float64frombits(le.Uint64(p[16:]))}
		if pt.NProbe < 1 || pt.Refine < 0 || !(pt.Recall >= 0 && pt.Recall <= 1) || !(pt.Micros >= 0) {
			return nil, errors.Newf("calibration point %d: nprobe %d, refine %d, recall %v, %v us", i, pt.NProbe, pt.Refine, pt.Recall, pt.Micros)
		}
		c.Points = append(c.Points, pt)
	}
	if !(c.Target > 0 && c.Target <= 1) {
		return nil, errors.Newf("calibration target %v", c.Target)
	}
	c.DefaultNProbe, c.DefaultRefine, c.TargetAchieved = c.For(c.Target)
	return c, nil
}
