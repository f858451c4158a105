package index

import (
	"fmt"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
)

// BenchmarkSearch measures one IVF probe (codes scored, no re-rank) over
// 50k clustered 128-d vectors in 256 lists, 32-byte codes (pq8 M 32,
// pq4fs M 64), one thread: the part of a query a codec changes.
func BenchmarkSearch(b *testing.B) {
	for _, codec := range []quant.CodecKind{quant.KindPQ8, quant.KindPQ4FS} {
		for _, metric := range []quant.Metric{quant.L2, quant.Dot} {
			benchSearch(b, codec, metric)
		}
	}
}

func benchSearch(b *testing.B, codec quant.CodecKind, metric quant.Metric) {
	m := 32
	if codec == quant.KindPQ4FS {
		m = 64
	}
	{
		ivf, lists, data := trainTestCodec(b, metric, codec, 50_000, 128, 256, m)
		qs := vectest.Clustered(9, 64, 128, 20, 0.4)
		for _, nprobe := range []int{8, 32} {
			b.Run(fmt.Sprintf("%v/%v/nprobe=%d", codec, metric, nprobe), func(b *testing.B) {
				codes := 0
				for i := 0; b.Loop(); i++ {
					_, st, err := ivf.Search(qs[i%len(qs)], lists, SearchParams{NProbe: nprobe, KC: 100})
					if err != nil {
						b.Fatal(err)
					}
					codes += st.CodesScored
				}
				b.ReportMetric(float64(codes)/float64(b.N), "codes/op")
			})
		}
		_ = data
	}
}
