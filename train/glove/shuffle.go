package glove

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/cockroachdb/errors"
)

// trec is one training record: the word ids (i, j) and log X_ij. Both
// (i, j) and (j, i) are records. On disk it is 12 little-endian bytes:
//
//	+-----------+-----------+------------------------+
//	| uint32 i  | uint32 j  | float32 bits of log X  |
//	+-----------+-----------+------------------------+
//
// Training files live only inside one Count's temporary directory, so they
// have no header or version byte.
type trec struct {
	i, j uint32
	logX float32
}

func appendTrec(dst []byte, r trec) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, r.i)
	dst = binary.LittleEndian.AppendUint32(dst, r.j)
	return binary.LittleEndian.AppendUint32(dst, math.Float32bits(r.logX))
}

func decodeTrec(b []byte) trec {
	return trec{
		i:    binary.LittleEndian.Uint32(b),
		j:    binary.LittleEndian.Uint32(b[4:]),
		logX: math.Float32frombits(binary.LittleEndian.Uint32(b[8:])),
	}
}

// trainSet is the shuffled training records: in memory, or in a file when
// they outgrow the memory budget.
type trainSet struct {
	recs  []trec   // in memory, or nil
	f     *os.File // the records on disk otherwise
	n     int64
	vocab int
}

// read returns records [start, start+len(buf)) of the set, decoding them
// into buf when they are on disk (scratch is the byte buffer for that).
func (ts *trainSet) read(start int64, buf []trec, scratch []byte) ([]trec, []byte, error) {
	if ts.f == nil {
		return ts.recs[start : start+int64(len(buf))], scratch, nil
	}
	need := len(buf) * trainRecordBytes
	if cap(scratch) < need {
		scratch = make([]byte, need)
	}
	scratch = scratch[:need]
	if _, err := ts.f.ReadAt(scratch, start*trainRecordBytes); err != nil {
		return nil, scratch, errors.Wrap(err, "reading training records")
	}
	for k := range buf {
		r := decodeTrec(scratch[k*trainRecordBytes:])
		if int(r.i) >= ts.vocab || int(r.j) >= ts.vocab {
			return nil, scratch, errors.Newf("glove: corrupt training file: record %d has pair (%d, %d) in a vocabulary of %d",
				start+int64(k), r.i, r.j, ts.vocab)
		}
		buf[k] = r
	}
	return buf, scratch, nil
}

func (ts *trainSet) close() error {
	ts.recs = nil
	if ts.f == nil {
		return nil
	}
	name := ts.f.Name()
	err := errors.CombineErrors(ts.f.Close(), os.Remove(name))
	ts.f = nil
	return errors.Wrap(err, "removing training file")
}

// trainingSet merges the counts into shuffled training records, both (i, j)
// and (j, i) for each pair. When they fit in the memory budget they are
// shuffled in memory (Fisher-Yates); otherwise they are scattered at random
// into bucket files of about half the budget each, and each bucket is
// shuffled in memory and appended to one training file: a uniform shuffle
// as long as every bucket fits.
func (co *Cooccurrences) trainingSet(ctx context.Context, o *Options, rng *rand.Rand, start time.Time) (*trainSet, error) {
	if co.closed {
		return nil, errors.New("glove: Cooccurrences used after Close")
	}
	co.compact()
	memRecs, tableBytes := co.memRecords()
	upper := memRecs
	for _, r := range co.runs {
		upper += r.records
	}
	upper *= 2 // both orders
	capRecs := o.MemoryBytes / trainRecordBytes
	var ts *trainSet
	var err error
	if upper <= capRecs {
		if tableBytes+upper*trainRecordBytes > o.MemoryBytes {
			if err := co.spillTables(); err != nil {
				return nil, err
			}
		}
		ts, err = co.memoryTrainSet(ctx, upper, rng)
	} else {
		if err := co.spillTables(); err != nil {
			return nil, err
		}
		ts, err = co.fileTrainSet(ctx, upper, capRecs, rng)
	}
	if err != nil {
		return nil, err
	}
	if ts.n == 0 {
		return nil, errors.CombineErrors(errors.New("glove: no word pairs co-occur in the corpus"), ts.close())
	}
	o.report(Progress{Stage: StageMerge, Records: ts.n, Runs: len(co.runs), Elapsed: time.Since(start)})
	return ts, nil
}

// forEachRecord calls fn with each training record in key order.
func (co *Cooccurrences) forEachRecord(ctx context.Context, fn func(trec) error) (err error) {
	src, err := co.merged(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.CombineErrors(err, src.close()) }()
	unit := float64(co.unit)
	for src.next() {
		key, n := src.cur()
		i, j := splitKey(key)
		logX := float32(math.Log(float64(n) / unit))
		if err := fn(trec{i: i, j: j, logX: logX}); err != nil {
			return err
		}
		if i != j {
			if err := fn(trec{i: j, j: i, logX: logX}); err != nil {
				return err
			}
		}
	}
	return src.err()
}

func (co *Cooccurrences) memoryTrainSet(ctx context.Context, upper int64, rng *rand.Rand) (*trainSet, error) {
	recs := make([]trec, 0, upper)
	err := co.forEachRecord(ctx, func(r trec) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rng.Shuffle(len(recs), func(a, b int) { recs[a], recs[b] = recs[b], recs[a] })
	return &trainSet{recs: recs, n: int64(len(recs)), vocab: co.vocab}, nil
}

// maxBuckets bounds the bucket files open at once during a file shuffle.
const maxBuckets = 256

func (co *Cooccurrences) fileTrainSet(ctx context.Context, upper, capRecs int64, rng *rand.Rand) (ts *trainSet, err error) {
	if err := co.ensureDir(); err != nil {
		return nil, err
	}
	nb := int(min(maxBuckets, max(1, (upper+capRecs/2-1)/(capRecs/2))))
	buckets := make([]*os.File, nb)
	writers := make([]*bufio.Writer, nb)
	defer func() {
		for _, f := range buckets {
			if f != nil {
				err = errors.CombineErrors(err, errors.CombineErrors(f.Close(), os.Remove(f.Name())))
			}
		}
	}()
	for b := range buckets {
		f, err := os.OpenFile(filepath.Join(co.dir, fmt.Sprintf("bucket-%03d", b)), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
		if err != nil {
			return nil, errors.Wrap(err, "creating bucket file")
		}
		buckets[b], writers[b] = f, bufio.NewWriterSize(f, 64<<10)
	}
	var tmp [trainRecordBytes]byte
	err = co.forEachRecord(ctx, func(r trec) error {
		_, err := writers[rng.IntN(nb)].Write(appendTrec(tmp[:0], r))
		return err
	})
	for _, w := range writers {
		err = errors.CombineErrors(err, w.Flush())
	}
	if err != nil {
		return nil, errors.Wrap(err, "scattering training records")
	}
	out, err := os.OpenFile(filepath.Join(co.dir, "train"), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		return nil, errors.Wrap(err, "creating training file")
	}
	ts = &trainSet{f: out, vocab: co.vocab}
	for b, f := range buckets {
		if err := ctx.Err(); err != nil {
			return nil, errors.CombineErrors(err, ts.close())
		}
		n, err := shuffleBucket(f, out, capRecs, rng)
		if err != nil {
			return nil, errors.CombineErrors(err, ts.close())
		}
		ts.n += n
		buckets[b] = nil
		if err := errors.CombineErrors(f.Close(), os.Remove(f.Name())); err != nil {
			return nil, errors.CombineErrors(errors.Wrap(err, "removing bucket file"), ts.close())
		}
	}
	return ts, nil
}

// shuffleBucket appends the records of bucket f to out, shuffled, at most
// capRecs records at a time, and returns how many there were.
func shuffleBucket(f, out *os.File, capRecs int64, rng *rand.Rand) (int64, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, errors.Wrap(err, "reading bucket file")
	}
	n := size / trainRecordBytes
	chunk := make([]byte, min(n, capRecs)*trainRecordBytes)
	for off := int64(0); off < n; off += capRecs {
		m := min(capRecs, n-off)
		b := chunk[:m*trainRecordBytes]
		if _, err := f.ReadAt(b, off*trainRecordBytes); err != nil {
			return 0, errors.Wrap(err, "reading bucket file")
		}
		rng.Shuffle(int(m), func(x, y int) {
			var t [trainRecordBytes]byte
			px, py := b[x*trainRecordBytes:(x+1)*trainRecordBytes], b[y*trainRecordBytes:(y+1)*trainRecordBytes]
			copy(t[:], px)
			copy(px, py)
			copy(py, t[:])
		})
		if _, err := out.Write(b); err != nil {
			return 0, errors.Wrap(err, "writing training file")
		}
	}
	return n, nil
}
