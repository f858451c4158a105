package cnn

import (
	"context"
	"testing"
)

var mnistShape = Shape{H: 28, W: 28, C: 1}

// BenchmarkTrain trains one epoch of the default network on 28×28 bars
// and reports images/s.
func BenchmarkTrain(b *testing.B) {
	for _, threads := range []int{1, 0} {
		name := "threads=all"
		if threads == 1 {
			name = "threads=1"
		}
		b.Run(name, func(b *testing.B) {
			x, y := bars(1, 512, 28)
			o := Options{Epochs: 1, Threads: threads}
			for b.Loop() {
				if _, _, err := Train(context.Background(), x, y, 4, mnistShape, o); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(y)*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkEmbed embeds 28×28 images with the default network, one at a
// time and in batches on all cores.
func BenchmarkEmbed(b *testing.B) {
	x, y := bars(1, 256, 28)
	net, _, err := Train(context.Background(), x[:64*784], y[:64], 4, mnistShape, Options{Epochs: 1})
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]float32, len(y)*net.OutDim())
	b.Run("one", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			net.Embed(dst[:net.OutDim()], x[:net.InDim()])
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
	})
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			net.EmbedBatch(dst, x, 0)
		}
		b.ReportMetric(float64(len(y)*b.N)/b.Elapsed().Seconds(), "images/s")
	})
}
