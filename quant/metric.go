package quant

import "github.com/cockroachdb/errors"

// Metric is a distance function. Every metric is reported smaller-is-closer:
// L2 is the squared Euclidean distance, Cosine is 1 - cosine similarity
// (vectors are normalised before they are compared), Dot is minus the inner
// product.
type Metric uint8

const (
	// L2 is the squared Euclidean distance.
	L2 Metric = iota + 1
	// Cosine is 1 - cos(a, b); vectors are stored and queried unit-normalised.
	Cosine
	// Dot is -<a, b> (maximum inner product search).
	Dot
)

// String returns the metric's name as the CLI spells it.
func (m Metric) String() string {
	switch m {
	case L2:
		return "l2"
	case Cosine:
		return "cosine"
	case Dot:
		return "dot"
	}
	return "unknown"
}

// Valid reports whether m is one of the defined metrics.
func (m Metric) Valid() bool { return m >= L2 && m <= Dot }

// ParseMetric parses "l2", "cosine" or "dot".
func ParseMetric(s string) (Metric, error) {
	switch s {
	case "l2", "L2":
		return L2, nil
	case "cosine", "cos":
		return Cosine, nil
	case "dot", "ip":
		return Dot, nil
	}
	return 0, errors.Newf("unknown metric %q (want l2, cosine or dot)", s)
}
