package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vecdb/vecdb/db"
)

// metrics are one Server's Prometheus metrics, on a registry of its own
// (two servers in one process never share series).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(d *db.DB, js *jobs) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vecdb_http_requests_total",
			Help: "HTTP requests answered, by route (the server's pattern) and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vecdb_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10), // 0.5 ms to about 2 min
		}, []string{"route"}),
	}
	m.reg.MustRegister(m.requests, m.duration,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vecdb_jobs_running",
			Help: "Background jobs (index builds) running.",
		}, func() float64 { return float64(js.running.Load()) }),
		&dbCollector{d: d},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// observe counts one answered request.
func (m *metrics) observe(route string, code int, elapsed time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(elapsed.Seconds())
}

// handler serves GET /metrics.
func (m *metrics) handler() http.HandlerFunc {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return h.ServeHTTP
}

// dbCollector reads the database's gauges at scrape time.
type dbCollector struct{ d *db.DB }

var (
	descRecords = prometheus.NewDesc("vecdb_collection_records",
		"Records in a collection.", []string{"collection"}, nil)
	descGeneration = prometheus.NewDesc("vecdb_index_generation",
		"Generation of a collection's index (absent without one).", []string{"collection"}, nil)
	descDrift = prometheus.NewDesc("vecdb_index_drift",
		"Records added since the index's build, as a fraction of those it was built on.", []string{"collection"}, nil)
	descHitRatio = prometheus.NewDesc("vecdb_cache_hit_ratio",
		"Hits over look-ups since the open, by cache (block: the storage engine's; bitmap: decoded filter bitmaps); 0 before any look-up.", []string{"cache"}, nil)
	descBudget = prometheus.NewDesc("vecdb_memory_budget_bytes",
		"The database's memory budget (Options.CacheBytes).", nil, nil)
	descUsed = prometheus.NewDesc("vecdb_memory_used_bytes",
		"Memory the database holds against its budget: block cache, write buffers, rows, lists and bitmaps.", nil, nil)
	descMapped = prometheus.NewDesc("vecdb_memory_mapped_bytes",
		"Size of the vector files mapped (outside the budget).", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRecords, descGeneration, descDrift, descHitRatio, descBudget, descUsed, descMapped} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A collection dropped while
// it is read is left out; other failures leave the metrics out (the
// scrape still answers the others).
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	if schemas, err := c.d.Collections(); err == nil {
		for _, s := range schemas {
			st, err := c.d.Stats(s.Name)
			if err != nil {
				continue
			}
			ch <- prometheus.MustNewConstMetric(descRecords, prometheus.GaugeValue, float64(st.Count), s.Name)
			if ix := st.Index; ix != nil {
				ch <- prometheus.MustNewConstMetric(descGeneration, prometheus.GaugeValue, float64(ix.Generation), s.Name)
				ch <- prometheus.MustNewConstMetric(descDrift, prometheus.GaugeValue, ix.Drift, s.Name)
			}
		}
	}
	mem, err := c.d.Memory()
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descHitRatio, prometheus.GaugeValue, ratio(mem.BlockCacheHits, mem.BlockCacheMisses), "block")
	ch <- prometheus.MustNewConstMetric(descHitRatio, prometheus.GaugeValue, ratio(mem.BitmapHits, mem.BitmapMisses), "bitmap")
	ch <- prometheus.MustNewConstMetric(descBudget, prometheus.GaugeValue, float64(mem.Budget))
	used := mem.BlockCacheUsed + mem.MemTableUsed + mem.RowsUsed + mem.ListsUsed + mem.BitmapsUsed
	ch <- prometheus.MustNewConstMetric(descUsed, prometheus.GaugeValue, float64(used))
	ch <- prometheus.MustNewConstMetric(descMapped, prometheus.GaugeValue, float64(mem.Mapped))
}

// ratio is hits / (hits + misses), 0 when there was no look-up.
func ratio(hits, misses int64) float64 {
	if hits+misses <= 0 {
		return 0
	}
	return float64(hits) / float64(hits+misses)
}
