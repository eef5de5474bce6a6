package dashboard

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// Timing of the feed.
const (
	// coalesce gathers a burst of changes (a fleet's heartbeats) into one
	// rebuild.
	coalesce = 100 * time.Millisecond
	// refresh rebuilds without a change, so that drift marks expire.
	refresh = time.Minute
)

// Feed keeps a Broker's snapshot current from an informer cache of the
// pivot's Cluster objects and common: every change rebuilds the snapshot
// from the cache (no request to the API server per browser or per change)
// and the broker sends what differs.
type Feed struct {
	Cache  cache.Cache
	Broker *Broker
	Log    logr.Logger
}

// Run publishes until ctx ends; the cache must be started.
func (f Feed) Run(ctx context.Context) error {
	poke := make(chan struct{}, 1)
	handler := toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify(poke) },
		UpdateFunc: func(any, any) { notify(poke) },
		DeleteFunc: func(any) { notify(poke) },
	}
	for _, obj := range []client.Object{&clusterv1.Cluster{}, &hotplugv1.Hotplug{}} {
		inf, err := f.Cache.GetInformer(ctx, obj)
		if err != nil {
			return fmt.Errorf("dashboard: watching %T: %w", obj, err)
		}
		if _, err := inf.AddEventHandler(handler); err != nil {
			return fmt.Errorf("dashboard: watching %T: %w", obj, err)
		}
	}
	if !f.Cache.WaitForCacheSync(ctx) {
		return fmt.Errorf("dashboard: the cache did not sync: %w", ctx.Err())
	}
	tick := time.NewTicker(refresh)
	defer tick.Stop()
	for {
		if err := f.publish(ctx); err != nil {
			f.Log.Error(err, "dashboard: rebuilding the fleet view")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-poke:
			time.Sleep(coalesce)
		}
	}
}

// publish rebuilds the snapshot from the cache.
func (f Feed) publish(ctx context.Context) error {
	var clusters clusterv1.ClusterList
	if err := f.Cache.List(ctx, &clusters); err != nil {
		return fmt.Errorf("listing Clusters: %w", err)
	}
	var common *hotplugv1.Hotplug
	hp := &hotplugv1.Hotplug{}
	if err := f.Cache.Get(ctx, client.ObjectKey{Name: hotplugv1.CommonName}, hp); err == nil {
		common = hp
	} else if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("reading common: %w", err)
	}
	return f.Broker.Publish(Build(clusters.Items, common, time.Now()))
}

// notify pokes without blocking: one pending poke is enough.
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
