package hub

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// fleetReader reads what the webhook validates a Hotplug against.
//
// A cluster's own Hotplug needs only its Cluster and `common`: two reads
// from the hub's cache once it holds every Cluster and Hotplug, so that a
// burst of registrations costs the API server nothing. The cache lags
// writes by its watch's delay, so an absent Cluster or `common` is
// confirmed past it (a Cluster is usually created a moment before its
// Hotplug), and a refusal is confirmed against the live `common` before it
// stands (see validator.validate). Before the cache has synced (the
// webhook serves before the manager starts its caches) every read is live:
// an empty or partial cache never decides.
//
// `common` is validated against every registered cluster with its own
// Hotplug, and that fleet is read past the cache: an edit of `common` must
// see a member's Hotplug whose create returned a moment earlier, which the
// cache may not hold yet. Edits of `common` are rare (an operator's), so
// this is two live lists per edit of `common`, not per registration.
type fleetReader struct {
	// cached is the hub's cache; nil: every read is live.
	cached client.Reader
	// synced reports whether cached holds every Cluster and Hotplug.
	synced func() bool
	// live reads past the cache.
	live client.Reader
}

// watchFleet registers the Cluster and Hotplug informers with c (started
// with the manager's caches, also on a replica that does not lead and so
// runs no roll-up) and returns a fleetReader that uses them once both
// have synced.
func watchFleet(ctx context.Context, c cache.Cache, live client.Reader) (fleetReader, error) {
	var infs []cache.Informer
	for _, obj := range []client.Object{&clusterv1.Cluster{}, &hotplugv1.Hotplug{}} {
		inf, err := c.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
		if err != nil {
			return fleetReader{}, fmt.Errorf("informer for %T: %w", obj, err)
		}
		infs = append(infs, inf)
	}
	return fleetReader{cached: c, live: live, synced: func() bool {
		for _, inf := range infs {
			if !inf.HasSynced() {
				return false
			}
		}
		return true
	}}, nil
}

// reader is the cache once it has synced, else the live reader; fromCache
// says which.
func (r fleetReader) reader() (rd client.Reader, fromCache bool) {
	if r.cached != nil && r.synced != nil && r.synced() {
		return r.cached, true
	}
	return r.live, false
}

// member returns the fleet a cluster's own Hotplug named name is validated
// against: that cluster when it is registered, and `common`. Absence seen in
// the cache is confirmed past it; fromCache says whether anything present
// came from the cache (and so may be stale). live forces live reads.
func (r fleetReader) member(ctx context.Context, name string, live bool) (f Fleet, fromCache bool, err error) {
	rd, cached := r.live, false
	if !live {
		rd, cached = r.reader()
	}
	f = Fleet{Own: map[string]*hotplugv1.Hotplug{}}
	registered, err := r.get(ctx, rd, cached, client.ObjectKey{Name: name}, &clusterv1.Cluster{})
	if err != nil {
		return Fleet{}, false, fmt.Errorf("reading cluster %q: %w", name, err)
	}
	if registered {
		f.Clusters = []string{name}
	}
	common := &hotplugv1.Hotplug{}
	found, err := r.get(ctx, rd, cached, client.ObjectKey{Name: hotplugv1.CommonName}, common)
	if err != nil {
		return Fleet{}, false, fmt.Errorf("reading hotplug %q: %w", hotplugv1.CommonName, err)
	}
	if found {
		f.Common = common
	}
	return f, cached, nil
}

// get reads key into obj through rd and reports whether it exists; an
// absence in the cache is confirmed with a live read.
func (r fleetReader) get(ctx context.Context, rd client.Reader, cached bool, key client.ObjectKey, obj client.Object) (bool, error) {
	err := rd.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) && cached {
		err = r.live.Get(ctx, key, obj)
	}
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// all returns every registered cluster (names only: a metadata list) and
// every Hotplug, read past the cache; see fleetReader for why.
func (r fleetReader) all(ctx context.Context) (Fleet, error) {
	clusters := &metav1.PartialObjectMetadataList{}
	clusters.SetGroupVersionKind(clusterv1.GroupVersion.WithKind("ClusterList"))
	if err := r.live.List(ctx, clusters); err != nil {
		return Fleet{}, fmt.Errorf("listing clusters: %w", err)
	}
	hps := &hotplugv1.HotplugList{}
	if err := r.live.List(ctx, hps); err != nil {
		return Fleet{}, fmt.Errorf("listing hotplugs: %w", err)
	}
	f := Fleet{Own: map[string]*hotplugv1.Hotplug{}}
	for _, c := range clusters.Items {
		f.Clusters = append(f.Clusters, c.Name)
	}
	for i := range hps.Items {
		h := &hps.Items[i]
		if h.Name == hotplugv1.CommonName {
			f.Common = h
		} else {
			f.Own[h.Name] = h
		}
	}
	return f, nil
}
