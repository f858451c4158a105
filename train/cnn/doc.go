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
// On Fashion-MNIST (60,000 training images, 28×28 grey), the defaults
// train their 3 epochs in 52 s on the project's 2-core VM (3,450
// images/s; 98 s before the forward convolution ran in register-blocked
// tiles, same run, identical loss) through vecdb train cnn. The 10
// nearest training embeddings (cosine) of the 10,000 test images vote the
// right label for 0.909 of them (raw pixels: 0.852) and 0.884 of the
// neighbours share the query's label (raw pixels: 0.805). Training on the
// first 10,000 images for 2 epochs gives 0.888. See TestFashionMNIST.
//
// Design:
//
//   - Convolutions use im2col ("same" padding). The forward pass keeps a
//     transposed (input-major) copy of the weights and, with AVX2 and a
//     filter count that is a multiple of 8, computes tiles of 4 pixels by
//     up to 24 filters with their sums in registers over the whole im2col
//     row (conv_amd64.s), at about the machine's peak of fused
//     multiply-adds; it skips only the steps where all 4 pixels' inputs are
//     zero (background). Otherwise it builds
//     each output row from one axpy of a weight row per non-zero im2col
//     value. The backward pass keeps the weights filter-major and does one
//     axpy per non-zero output gradient, skipping those that ReLU and max
//     pooling stopped (at least three in four). The axpys and dot products
//     run on quant's AVX2 kernels ([quant.Axpy], [quant.DotProduct]) from
//     16 values up, and in plain Go below.
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
//     scratch (about 0.5 MB for 28×28 images at the defaults) from a sync.Pool.
//     [Net.Params] returns a copy the caller owns.
//   - Results are bit-identical for a Seed and a number of Threads only on
//     one kind of machine: the AVX2 kernels use fused multiply-add.
//   - Memory: training holds the images the caller passed, the parameters
//     with Adam's two moments (3 × 4 bytes per parameter: 0.2 M parameters
//     for 28×28 images at the defaults) and per thread one gradient buffer
//     (0.9 MB) and about 0.9 MB of activations and their gradients.
//   - Embed and EmbedBatch panic on wrong lengths (a programming error);
//     Train and New return errors for bad data.
//   - Pixels are expected in [0, 1]; Train rejects non-finite ones, Embed
//     does not check and returns NaNs for them.
package cnn
