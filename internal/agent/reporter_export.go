package agent

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
)

// ReporterOptions configure a Reporter.
type ReporterOptions struct {
	// Cluster is the reporting cluster's name. Required.
	Cluster string
	// Pivot is a client of the pivot (the member's identity there).
	Pivot client.Client
	// Member also reports into the cluster's own Hotplug on the pivot.
	Member bool
	// Interval is the heartbeat interval; default 30s.
	Interval time.Duration
	// PivotNamespace holds the heartbeat Leases; default kubecube-system.
	PivotNamespace string
	// Log receives the reporter's messages.
	Log logr.Logger
}

// Reporter is the agent's own reporting to the pivot (heartbeat Lease,
// Cluster status on change, own Hotplug's status), without the rest of the
// agent: the fleet bench and tests drive it with statuses they make up.
type Reporter struct{ r *reporter }

// NewReporter returns a Reporter; Start runs it.
func NewReporter(o ReporterOptions) *Reporter {
	opts := Options{HeartbeatInterval: o.Interval, PivotNamespace: o.PivotNamespace}.withDefaults()
	r := newReporter(o.Cluster, o.Pivot, o.Member, opts.HeartbeatInterval, o.Log)
	r.beat = heartbeat.NewRenewer(o.Pivot, opts.PivotNamespace, o.Cluster, opts.HeartbeatInterval)
	r.beat.CreateMissing = !o.Member
	return &Reporter{r: r}
}

// Update hands the reporter the cluster's latest computed status and the
// `common` and own Hotplug it was computed from (nil when none), as the
// agent's status writer does.
func (r *Reporter) Update(st hotplugv1.HotplugStatus, common, own *hotplugv1.Hotplug) {
	r.r.update(st, common, own)
}

// Start runs the reporting loop until ctx ends.
func (r *Reporter) Start(ctx context.Context) error { return r.r.Start(ctx) }
