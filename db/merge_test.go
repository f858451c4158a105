package db

import (
	"context"
	"encoding/binary"
	stderrors "errors"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestCheckRoaring: checkRoaring passes every bitmap the library writes
// (each kind of container, with and without run flags and offsets) and
// finds each malformation the decoder lets through, so a stored bitmap
// that breaks one is an ErrCorruption error.
func TestCheckRoaring(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	build := func(run bool, add func(bm *roaring.Bitmap)) []byte {
		bm := roaring.New()
		add(bm)
		if run {
			bm.RunOptimize()
		}
		b, err := bm.ToBytes()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for i, b := range [][]byte{
		build(false, func(bm *roaring.Bitmap) { bm.Add(7) }),
		build(false, func(bm *roaring.Bitmap) { bm.AddRange(0, 5000) }),                      // a bitmap container
		build(true, func(bm *roaring.Bitmap) { bm.AddRange(0, 1_000_000) }),                  // runs, with offsets
		build(true, func(bm *roaring.Bitmap) { bm.AddRange(10, 20); bm.Add(70000) }),         // runs and an array, no offsets
		build(true, func(bm *roaring.Bitmap) { bm.AddRange(65000, 65536); bm.Add(1 << 31) }), // a run to the container's end
		build(true, func(bm *roaring.Bitmap) {
			for range 20000 {
				bm.Add(rng.Uint32N(400_000))
			}
			bm.AddRange(500_000, 600_000)
		}),
	} {
		if err := checkRoaring(b); err != nil {
			t.Errorf("bitmap %d: %v", i, err)
		}
	}

	le := binary.LittleEndian
	// Offsets of the fields of the no-run format (cookie, count, then
	// key and cardinality - 1 per container, offsets, containers) and the
	// run format with fewer than four containers (cookie, run flags, keys
	// and cardinalities, containers).
	const noRunKeys, runKeys = 8, 5
	for _, tc := range []struct {
		name  string
		bytes []byte
	}{
		{"keys out of order", func() []byte {
			b := build(false, func(bm *roaring.Bitmap) { bm.Add(1); bm.Add(70000) })
			le.PutUint16(b[noRunKeys:], 1)
			le.PutUint16(b[noRunKeys+4:], 0)
			return b
		}()},
		{"array out of order", func() []byte {
			b := build(false, func(bm *roaring.Bitmap) { bm.Add(5); bm.Add(9) })
			le.PutUint16(b[len(b)-2:], 4)
			return b
		}()},
		{"run past the container", func() []byte {
			b := build(true, func(bm *roaring.Bitmap) { bm.AddRange(65000, 65536) })
			le.PutUint16(b[len(b)-2:], 600) // run length - 1: was 535
			le.PutUint16(b[runKeys+2:], 600)
			return b
		}()},
		{"runs overlapping", func() []byte {
			b := build(true, func(bm *roaring.Bitmap) { bm.AddRange(10, 20); bm.AddRange(30, 40) })
			le.PutUint16(b[len(b)-4:], 15) // the second run's start
			return b
		}()},
		{"run cardinality", func() []byte {
			b := build(true, func(bm *roaring.Bitmap) { bm.AddRange(10, 20); bm.AddRange(30, 40) })
			le.PutUint16(b[runKeys+2:], 30)
			return b
		}()},
		{"bitmap container cardinality", func() []byte {
			b := build(false, func(bm *roaring.Bitmap) { bm.AddRange(0, 5000) })
			b[len(b)-1] ^= 0x80
			return b
		}()},
		{"trailing bytes", append(build(false, func(bm *roaring.Bitmap) { bm.Add(3) }), 0)},
		{"truncated", func() []byte {
			b := build(false, func(bm *roaring.Bitmap) { bm.Add(3); bm.Add(4) })
			return b[:len(b)-1]
		}()},
		{"cookie", func() []byte {
			b := build(false, func(bm *roaring.Bitmap) { bm.Add(3) })
			b[0] ^= 1
			return b
		}()},
	} {
		if err := checkRoaring(tc.bytes); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
		value := append(append([]byte{bitmapVersion, 0}, appendUvarint(nil, uint64(len(tc.bytes)))...), tc.bytes...)
		if _, err := decodeBitmapValue(value); !stderrors.Is(err, ErrCorruption) {
			t.Errorf("%s: decoding the stored value: %v, want ErrCorruption", tc.name, err)
		}
	}
}

// TestMalformedLiveBitmapIsAnError: a live-set bitmap whose runs are out
// of order, a damage the engine's checksums do not see (the bytes were
// wrong when written), made an indexed search panic (index out of range
// in roaring's WriteDenseTo, flattening the allow set: it sizes the
// dense copy by the last run; found by TestCorruptionSweep/values, seed
// 7). It is an ErrCorruption error now, from every read of it.
func TestMalformedLiveBitmapIsAnError(t *testing.T) {
	dir := t.TempDir()
	d := openTestDBAt(t, dir, nil)
	fillCollection(t, d, "v", L2, 3000, 8, 1)
	if _, err := d.BuildIndex(context.Background(), "v", &BuildOptions{Seed: 1, Lists: 16}); err != nil {
		t.Fatal(err)
	}
	// The live set as three runs (docs 1000-1099 and 2000-2009 deleted),
	// then the second run moved past the third.
	live := roaring.New()
	live.AddRange(0, 1000)
	live.AddRange(1100, 2000)
	live.AddRange(2010, 3000)
	live.RunOptimize()
	b, err := live.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	// Cookie, run flags, key and cardinality, run count, then each run's
	// start and length - 1.
	if got := binary.LittleEndian.Uint16(b[15:]); got != 1100 {
		t.Fatalf("the second run starts at %d, want 1100: not the layout expected", got)
	}
	binary.LittleEndian.PutUint16(b[15:], 51276)
	c, err := d.coll("v")
	if err != nil {
		t.Fatal(err)
	}
	value := append(append([]byte{bitmapVersion, 0}, appendUvarint(nil, uint64(len(b)))...), b...)
	if err := d.pdb.Set(liveKey(c.id), value, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = Open(dir, &Options{NoSync: true, Logger: recordLogger{new([]string)}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	q := make([]float32, 8)
	errs := map[string]error{}
	_, errs["indexed search"] = d.Search(context.Background(), "v", &SearchRequest{Vector: q})
	_, errs["exact search"] = d.Search(context.Background(), "v", &SearchRequest{Vector: q, Exact: true})
	_, errs["Count"] = d.Count("v")
	_, errs["Stats"] = d.Stats("v")
	errs["Check"] = d.Check()
	for _, op := range slices.Sorted(maps.Keys(errs)) {
		if !stderrors.Is(errs[op], ErrCorruption) {
			t.Errorf("%s with a malformed live set: %v, want ErrCorruption", op, errs[op])
		}
	}
}
