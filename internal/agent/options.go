package agent

import (
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kubecube-io/hotplug/internal/drift"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// Options configure an agent. Zero values take the defaults documented on
// each field.
type Options struct {
	// ClusterName is the cluster this agent runs in; its own Hotplug has
	// this name. Required.
	ClusterName string
	// ChartDir holds the chart packages; default /root/helmchartpkg.
	ChartDir string
	// Namespace holds the feature ConfigMap and the release inventory, and
	// the Secrets charts by source name (credentials, signing keys);
	// default kubecube-system.
	Namespace string
	// ChartCacheDir holds the packages of charts by source, by digest, and
	// the versions they resolved to; default ChartDir/.chart-cache (the
	// agent's emptyDir in the hotplug chart).
	ChartCacheDir string
	// ChartCacheMaxSize bounds the cached packages' total size in bytes;
	// least recently used ones go first, never one a release came from;
	// default 256 MiB, negative means no bound.
	ChartCacheMaxSize int64
	// ChartPollInterval is how often a chart whose version is a range is
	// resolved again (it is also on every change of the Hotplug); default
	// 10m.
	ChartPollInterval time.Duration
	// MaxRepositoryIndexSize caps a Helm repository's index.yaml in bytes;
	// default chartsource.DefaultMaxIndexBytes.
	MaxRepositoryIndexSize int64
	// Concurrency bounds the components reconciled at once; default 4.
	Concurrency int
	// Resync is how often a converged component is looked at again without
	// any event (its release, and the health of the release's objects);
	// default 5m. Changes of the objects are watched, not polled.
	Resync time.Duration
	// RetryBase and RetryMax bound the exponential retry of a failed
	// action; defaults 2s and 5m.
	RetryBase, RetryMax time.Duration
	// Wait makes Helm's install and upgrade wait for the release's
	// resources to be ready. Health does not depend on it: a component is
	// running only once every object of its release is ready (kstatus).
	Wait bool
	// Timeout bounds one Helm action; default 5m.
	Timeout time.Duration
	// HealthTimeout is how long the objects of a release may stay not
	// ready after the last action before the component fails; default 5m,
	// negative means forever.
	HealthTimeout time.Duration
	// DisableDriftRepair leaves objects of in-sync releases that someone
	// changed or deleted by hand as they are; by default they are set back
	// (a component can opt out with driftRepair: false).
	DisableDriftRepair bool
	// DriftRespectManagers are field managers, by exact name, whose fields
	// drift repair leaves to them, in addition to the built-in list
	// (drift.RespectedManager: kube-controller-manager, autoscalers and
	// names ending in -controller, -controller-manager, -operator or
	// -autoscaler); e.g. "manager" (kubebuilder's default),
	// "cert-manager-cainjector", "istiod".
	DriftRespectManagers []string
	// DriftBackoff spaces the repairs of a component whose drift keeps
	// coming back or whose repair fails; zero fields take drift.Tracker's
	// defaults (3 at once, then 30s doubling to 10m, forgotten after 30m
	// without a repair).
	DriftBackoff drift.TrackerOptions
	// AllowClusterAdminBindings lets charts bind the cluster-admin
	// ClusterRole; by default such an install or upgrade is refused.
	AllowClusterAdminBindings bool
	// MaxHistory caps the revisions kept per release; default 10.
	MaxHistory int
	// PivotConfig reaches the pivot cluster from a member; nil means this
	// cluster is the pivot.
	PivotConfig *rest.Config
	// Limits bound what the agent expands (chart packages, YAML, templates);
	// zero fields take the defaults of limits.Default.
	Limits limits.Limits
	// HeartbeatInterval is how often the agent renews its heartbeat Lease
	// on the pivot (the report itself is written only when it changes);
	// default 30s.
	HeartbeatInterval time.Duration
	// PivotNamespace is the namespace on the pivot of the hub and of the
	// clusters' heartbeat Leases (the hub's --namespace); default
	// kubecube-system.
	PivotNamespace string
	// RolloutNamespace is the namespace on the pivot where the hub keeps
	// the revisions of `common` and each cluster's assignment; default
	// PivotNamespace.
	RolloutNamespace string
}

// Defaults used for empty Options fields.
const (
	DefaultChartDir = "/root/helmchartpkg"
	// DefaultChartCacheSubdir is ChartCacheDir's default within ChartDir.
	DefaultChartCacheSubdir = ".chart-cache"
	// DefaultChartCacheMaxSize is ChartCacheMaxSize's default.
	DefaultChartCacheMaxSize = 256 << 20
	// DefaultChartPollInterval is ChartPollInterval's default.
	DefaultChartPollInterval = 10 * time.Minute
	DefaultNamespace         = "kubecube-system"
	FeatureConfigMap         = "kubecube-feature-config"
	InventoryConfigMap       = "hotplug-inventory"
)

func (o Options) withDefaults() Options {
	if o.ChartDir == "" {
		o.ChartDir = DefaultChartDir
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.ChartCacheDir == "" {
		o.ChartCacheDir = filepath.Join(o.ChartDir, DefaultChartCacheSubdir)
	}
	if o.ChartCacheMaxSize == 0 {
		o.ChartCacheMaxSize = DefaultChartCacheMaxSize
	}
	if o.ChartPollInterval <= 0 {
		o.ChartPollInterval = DefaultChartPollInterval
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Resync <= 0 {
		o.Resync = 5 * time.Minute
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 2 * time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.HealthTimeout == 0 {
		o.HealthTimeout = 5 * time.Minute
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = 30 * time.Second
	}
	if o.PivotNamespace == "" {
		o.PivotNamespace = heartbeat.DefaultNamespace
	}
	if o.MaxHistory <= 0 {
		o.MaxHistory = 10
	}
	if o.RolloutNamespace == "" {
		// The hub keeps the revisions where it keeps the Leases.
		o.RolloutNamespace = o.PivotNamespace
	}
	return o
}

// Backoff is the delay before retry number failures (1-based): base
// doubled per failure, capped at limit.
func Backoff(failures int, base, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
