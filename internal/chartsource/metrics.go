package chartsource

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	pulls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hotplug_chart_pulls_total",
		Help: "Chart packages pulled from a registry or repository, by result (ok or the failure class).",
	}, []string{"result"})
	pullDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hotplug_chart_pull_duration_seconds",
		Help:    "Time to resolve and download one chart package (cache hits excluded).",
		Buckets: prometheus.ExponentialBuckets(0.01, 3, 10),
	})
	cacheHits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hotplug_chart_cache_hits_total",
		Help: "Chart pulls served from the on-disk package cache without downloading.",
	})
)

func init() { metrics.Registry.MustRegister(pulls, pullDuration, cacheHits) }
