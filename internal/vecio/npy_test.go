package vecio

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
)

// npyBytes builds an .npy file: the given header dict, padded as NumPy pads
// it, in format version major, followed by data.
func npyBytes(major byte, dict string, data []byte) []byte {
	lenBytes := 2
	if major > 1 {
		lenBytes = 4
	}
	pre := 6 + 2 + lenBytes
	hlen := len(dict) + 1
	if pad := (pre + hlen) % 64; pad != 0 {
		hlen += 64 - pad
	}
	hdr := dict + strings.Repeat(" ", hlen-len(dict)-1) + "\n"
	b := append([]byte(npyMagic), major, 0)
	if lenBytes == 2 {
		b = binary.LittleEndian.AppendUint16(b, uint16(hlen))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(hlen))
	}
	b = append(b, hdr...)
	return append(b, data...)
}

func npyDict(descr string, rows, cols int) string {
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, rows, cols)
}

func f32Bytes(vecs [][]float32) []byte {
	var b []byte
	for _, v := range vecs {
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	}
	return b
}

func TestNpyRoundTrip(t *testing.T) {
	vecs := testVectors(1500, 9)
	for _, major := range []byte{1, 2, 3} {
		t.Run(fmt.Sprintf("v%d", major), func(t *testing.T) {
			data := npyBytes(major, npyDict("<f4", len(vecs), 9), f32Bytes(vecs))
			recs, dim, err := readAll(t, data, Npy)
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, recs, rowNumberIDs(len(vecs)), vecs)
			if dim != 9 {
				t.Errorf("Dim() = %d, want 9", dim)
			}
		})
	}
}

func TestNpyDtypes(t *testing.T) {
	want := [][]float32{{0.5, -2, 3}, {255, 0, 1}}
	var f8, f2, u1, i1 []byte
	for _, v := range want {
		for _, x := range v {
			f8 = binary.LittleEndian.AppendUint64(f8, math.Float64bits(float64(x)))
			u1 = append(u1, byte(x))
		}
	}
	// float16 bits of 0.5 -2 3 / 255 0 1.
	for _, h := range []uint16{0x3800, 0xc000, 0x4200, 0x5bf8, 0x0000, 0x3c00} {
		f2 = binary.LittleEndian.AppendUint16(f2, h)
	}
	i1 = []byte{1, 0xff, 0x80, 127, 0, 2}
	for _, tc := range []struct {
		descr string
		data  []byte
		want  [][]float32
	}{
		{"<f8", f8, want},
		{"<f2", f2, want},
		{"|u1", u1, [][]float32{{0, 254, 3}, {255, 0, 1}}},
		{"<u1", u1, [][]float32{{0, 254, 3}, {255, 0, 1}}},
		{"|i1", i1, [][]float32{{1, -1, -128}, {127, 0, 2}}},
	} {
		t.Run(tc.descr, func(t *testing.T) {
			recs := mustReadAll(t, npyBytes(1, npyDict(tc.descr, 2, 3), tc.data), Npy)
			checkRecords(t, recs, []string{"0", "1"}, tc.want)
		})
	}
}

func TestFloat16(t *testing.T) {
	for _, tc := range []struct {
		h    uint16
		want float32
	}{
		{0x0001, float32(math.Ldexp(1, -24))}, // smallest subnormal
		{0x8001, -float32(math.Ldexp(1, -24))},
		{0x03ff, float32(math.Ldexp(1023, -24))},
		{0x0400, float32(math.Ldexp(1, -14))}, // smallest normal
		{0x7bff, 65504},
		{0x7c00, float32(math.Inf(1))},
		{0xfc00, float32(math.Inf(-1))},
		{0x8000, float32(math.Copysign(0, -1))},
	} {
		if got := float16to32(tc.h); math.Float32bits(got) != math.Float32bits(tc.want) {
			t.Errorf("float16to32(%#04x) = %v, want %v", tc.h, got, tc.want)
		}
	}
	if got := float16to32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("float16to32(NaN) = %v", got)
	}
}

func TestNpyHeaderVariants(t *testing.T) {
	data := f32Bytes([][]float32{{1, 2}})
	for _, dict := range []string{
		`{"descr": "<f4", "fortran_order": False, "shape": (1, 2)}`,
		`{'shape': (1L, 2L), 'fortran_order': False, 'descr': '<f4'}`,
		`{'descr':'<f4','fortran_order':False,'shape':(1,2,),}`,
	} {
		if _, _, err := readAll(t, npyBytes(1, dict, data), Npy); err != nil {
			t.Errorf("header %s: %v", dict, err)
		}
	}
}

func TestNpyErrors(t *testing.T) {
	two := f32Bytes(testVectors(2, 3))
	for _, tc := range []struct {
		name string
		data []byte
		want []string
	}{
		{"empty", nil, []string{"not an npy file"}},
		{"bad magic", []byte("\x93NUMPX\x01\x00\x10\x00"), []string{"bad magic"}},
		{"short", []byte("\x93NU"), []string{"truncated"}},
		{"version", npyBytes(4, npyDict("<f4", 2, 3), two), []string{"unsupported version 4.0"}},
		{"fortran", npyBytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", two), []string{"fortran_order True is not supported"}},
		{"big endian", npyBytes(1, npyDict(">f4", 2, 3), two), []string{`unsupported dtype ">f4"`}},
		{"int64", npyBytes(1, npyDict("<i8", 2, 3), two), []string{`unsupported dtype "<i8"`}},
		{"1-D", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", two), []string{"1 dimensions", "2-D"}},
		{"3-D", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", two), []string{"3 dimensions"}},
		{"dim 0", npyBytes(1, npyDict("<f4", 2, 0), nil), []string{"dimension 0 out of range"}},
		{"dim huge", npyBytes(1, npyDict("<f4", 1, 1<<21), nil), []string{"dimension 2097152 out of range"}},
		{"truncated data", npyBytes(1, npyDict("<f4", 2, 3), two[:20]), []string{"row 2:", "truncated (8 of 12 bytes)"}},
		{"missing rows", npyBytes(1, npyDict("<f4", 5, 3), two), []string{"row 3:", "truncated (0 of 12 bytes)"}},
		{"trailing data", npyBytes(1, npyDict("<f4", 1, 3), two), []string{"row 2:", "continues after the 1 rows"}},
		{"no shape", npyBytes(1, "{'descr': '<f4', 'fortran_order': False}", two), []string{"no 'shape'"}},
		{"garbage header", npyBytes(1, "{'descr': <f4}", two), []string{"offset 10: want a string, True, False or a tuple"}},
		{"header too long", append([]byte("\x93NUMPY\x02\x00"), 0xff, 0xff, 0xff, 0x7f), []string{"header length 2147483647 exceeds"}},
		{"header truncated", append([]byte("\x93NUMPY\x01\x00"), 0xff, 0x7f, '{'), []string{"truncated (1 of 32767 header bytes)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, tc.data, Npy)
			wantErr(t, err, tc.want...)
		})
	}
}

func TestNpyZeroRows(t *testing.T) {
	recs, dim, err := readAll(t, npyBytes(1, npyDict("<f4", 0, 4), nil), Npy)
	if err != nil || len(recs) != 0 || dim != 4 {
		t.Errorf("empty array: %d records, dim %d, %v", len(recs), dim, err)
	}
}
