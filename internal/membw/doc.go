// Package membw measures the machine's memory bandwidth, so that benchmarks
// of memory-bound kernels can report what fraction of it they reach.
//
// # Caveats
//
// A measurement takes at least its minimum duration and allocates its whole
// buffer (256 MiB by default); call it once per process, not per benchmark
// iteration. The result is only as good as the machine is quiet: other
// processes sharing the memory controller or the core lower it. Functions are
// goroutine-safe, but running measurements concurrently makes them compete
// for bandwidth.
package membw
