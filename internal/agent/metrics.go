package agent

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	reconcileDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hotplug_reconcile_duration_seconds",
		Help:    "Time to reconcile one component, Helm actions included.",
		Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
	}, []string{"component"})
	helmActions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hotplug_helm_actions_total",
		Help: "Helm actions by component, kind and result.",
	}, []string{"component", "action", "result"})
	helmActionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hotplug_helm_action_duration_seconds",
		Help:    "Duration of Helm actions by component and kind.",
		Buckets: prometheus.ExponentialBuckets(0.05, 3, 10),
	}, []string{"component", "action"})
	componentReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hotplug_component_ready",
		Help: "1 when the component is as configured (running, or disabled and absent), else 0.",
	}, []string{"component"})
	healthChecks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hotplug_health_checks_total",
		Help: "Health checks of a release's objects (each reads every object of the release once).",
	})
	healthCheckDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hotplug_health_check_duration_seconds",
		Help:    "Time to read and judge the objects of one release.",
		Buckets: prometheus.ExponentialBuckets(0.002, 4, 8),
	})
	driftRepairs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hotplug_drift_repairs_total",
		Help: "Objects of a release set back to the release manifest after someone changed or deleted them.",
	}, []string{"component"})
	uninstallsHeld = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hotplug_uninstalls_held_total",
		Help: "Uninstalls held because the configuration's absence was not confirmed (the Hotplug kind not served, or just served again, or the cache behind).",
	}, []string{"component"})
	healthEvents = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hotplug_health_events_total",
		Help: "Changes of watched release objects that enqueued a component.",
	})
)

func init() {
	metrics.Registry.MustRegister(reconcileDuration, helmActions, helmActionDuration, componentReady, healthChecks, healthCheckDuration, healthEvents, driftRepairs, uninstallsHeld)
}
