package mirror

import (
	"fmt"
	"net/http"

	"github.com/go-logr/logr"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/namedcache"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// heldObjects are the pivot objects a member's mirror reads: `common`, the
// cluster's own Hotplug and its assignment, exactly what its RBAC grants.
func heldObjects(clusterName, rolloutNS string) []namedcache.Object {
	return []namedcache.Object{
		{Type: &hotplugv1.Hotplug{}, ObjectKey: client.ObjectKey{Name: hotplugv1.CommonName}},
		{Type: &hotplugv1.Hotplug{}, ObjectKey: client.ObjectKey{Name: clusterName}},
		{Type: &appsv1.ControllerRevision{}, ObjectKey: client.ObjectKey{Namespace: rolloutNS, Name: rollout.AssignmentName(clusterName)}},
	}
}

// pivotMapper maps the two kinds the mirror reads without discovery: a
// member's credentials need not list the pivot's API groups, and a mapper
// that discovers would add requests per member to the pivot.
func pivotMapper(*rest.Config, *http.Client) (meta.RESTMapper, error) {
	hp := hotplugv1.GroupVersion.WithKind("Hotplug")
	cr := appsv1.SchemeGroupVersion.WithKind("ControllerRevision")
	m := meta.NewDefaultRESTMapper([]schema.GroupVersion{hp.GroupVersion(), cr.GroupVersion()})
	m.Add(hp, meta.RESTScopeRoot)
	m.Add(cr, meta.RESTScopeNamespace)
	return m, nil
}

// newPivotCluster returns the member's controller-runtime cluster of the
// pivot: its cache holds only the objects heldObjects names (one
// name-scoped informer each, started on first use) and tells onWatchError
// of every failed list or watch, including those client-go retries
// without reporting (a refused connection while the pivot restarts), so
// the member says at once that the pivot is away; its API reader reads
// past the cache.
func newPivotCluster(cfg *rest.Config, clusterName, rolloutNS string, log logr.Logger, onWatchError namedcache.WatchErrorFunc) (cluster.Cluster, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &watchSignal{next: rt, failed: func(err error) { onWatchError(namedcache.Object{}, err) }}
	})
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("pivot cluster: %w", err)
	}
	c, err := cluster.New(cfg, func(o *cluster.Options) {
		o.Scheme = kube.Scheme
		o.Logger = log
		o.HTTPClient = hc
		o.MapperProvider = pivotMapper
		o.NewCache = namedcache.New(heldObjects(clusterName, rolloutNS), onWatchError)
	})
	if err != nil {
		return nil, fmt.Errorf("pivot cluster: %w", err)
	}
	return c, nil
}

// watchSignal reports the cache's failed lists and watches (requests with a
// field selector: reads by name have none, so the mirror's own reads past
// the cache, which fail the same way while the pivot is away, cannot feed
// back into more reads). Failed means no answer, or 401/403.
type watchSignal struct {
	next   http.RoundTripper
	failed func(error)
}

func (w *watchSignal) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(req)
	if req.URL.Query().Get("fieldSelector") == "" || req.Context().Err() != nil {
		return resp, err
	}
	switch {
	case err != nil:
		w.failed(fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err))
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		w.failed(fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status))
	}
	return resp, err
}
