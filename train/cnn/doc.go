// Package cnn trains a small convolutional network that embeds images so
// that nearest neighbours (by cosine) share labels. It is pure Go
// computation: no cgo, no downloaded weights, no database access.
//
// [Train] takes images with class labels and fits
//
//	conv3x3(Conv1)-ReLU-maxpool2 → conv3x3(Conv2)-ReLU-maxpool2 → dense(Dim) → L2 norm → ×16 → dense(classes) → softmax
//
// with cross-entropy. The embedding ([Net.Embed]) is the unit-length
// output of dense(Dim); the classification head is kept only so that a
// rebuilt [Net] is complete. Training the head on the normalised
// embedding (a cosine softmax with a fixed scale of 16, as in NormFace)
// rather than on the raw one makes the loss shape exactly the directions
// that cosine retrieval compares.
//
// Design, measured on Fashion-MNIST on a shared 2-core VM:
//
//   - Convolutions use im2col ("same" padding) and keep the weights
//     filter-major, so the forward pass is one dot product of an im2col row
//     with a filter row per output value, and the backward pass one axpy
//     per non-zero output gradient (into the weight gradient and the
//     im2col gradient). ReLU and 2×2 max pooling zero about four fifths of
//     the output gradients, so the backward pass costs about as much as the
//     forward one. Long rows run on quant's AVX2 kernels
//     ([quant.DotProduct], [quant.Axpy]); the first convolution's 9-long
//     rows (one channel) run in plain Go.
//   - Each batch is split into contiguous shares, one per thread; each
//     thread runs its images forward and backward one at a time into its
//     own gradient buffer, and the buffers are summed in thread order, so a
//     run is deterministic for a Seed and a number of Threads.
//   - Adam with a half-cosine decay of the learning rate to zero, He
//     uniform initialisation for the ReLU layers and Glorot uniform for the
//     others, from a seeded PCG.
//
// # Caveats
//
//   - A [Net] is goroutine-safe and immutable; [Net.Embed] takes its
//     scratch (about 0.2 MB for 28×28 images) from a sync.Pool.
//     [Net.Params] returns a copy the caller owns.
//   - Results are bit-identical for a Seed and a number of Threads only on
//     one kind of machine: the AVX2 kernels use fused multiply-add.
//   - Memory: training holds the images the caller passed, the parameters
//     with Adam's two moments (3 × 4 bytes per parameter: 0.2 M parameters
//     for 28×28 images at the defaults) and per thread one gradient buffer
//     plus about 0.6 MB of activations.
//   - Embed and EmbedBatch panic on wrong lengths (a programming error);
//     Train and New return errors for bad data.
//   - Pixels are expected in [0, 1]; Train rejects non-finite ones, Embed
//     does not check and returns NaNs for them.
package cnn
