package mirror

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/go-logr/logr"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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

// pivotMapper maps the three kinds the mirror reads (Secrets: the
// revisions of common, read by name past the cache) without discovery: a
// member's credentials need not list the pivot's API groups, and a mapper
// that discovers would add requests per member to the pivot.
func pivotMapper(*rest.Config, *http.Client) (meta.RESTMapper, error) {
	hp := hotplugv1.GroupVersion.WithKind("Hotplug")
	cr := appsv1.SchemeGroupVersion.WithKind("ControllerRevision")
	secret := corev1.SchemeGroupVersion.WithKind("Secret")
	m := meta.NewDefaultRESTMapper([]schema.GroupVersion{hp.GroupVersion(), cr.GroupVersion(), secret.GroupVersion()})
	m.Add(hp, meta.RESTScopeRoot)
	m.Add(cr, meta.RESTScopeNamespace)
	m.Add(secret, meta.RESTScopeNamespace)
	return m, nil
}

// newPivotCluster returns the member's controller-runtime cluster of the
// pivot: its cache holds only the objects heldObjects names (one
// name-scoped informer each, started on first use) and tells onWatchError
// of every failed list or watch; its API reader reads past the cache.
// Every list and watch of the cache also goes through health: failed (no
// answer, 401, 403, 429, 5xx), including those client-go retries without
// reporting (a refused connection while the pivot restarts, a throttled
// watch), or answered, so the
// member says at once that the pivot is away and knows when its watches
// are back.
func newPivotCluster(cfg *rest.Config, clusterName, rolloutNS string, log logr.Logger, health *watchHealth, onWatchError namedcache.WatchErrorFunc) (cluster.Cluster, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &watchSignal{next: rt, health: health} })
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

// watchHealth is the state of the cache's lists and watches, one per held
// object (keyed by path and field selector): failing from a failed request
// until the next answered one. The cache is trusted only while none fails:
// after an outage client-go resumes each watch after its own backoff (up
// to 30 s), and until then its cache holds what it held before.
type watchHealth struct {
	mu      sync.Mutex
	failing map[string]bool
	// onFail is called on every failed request.
	onFail func(error)
}

func newWatchHealth(onFail func(error)) *watchHealth {
	return &watchHealth{failing: map[string]bool{}, onFail: onFail}
}

// healthy reports whether no list or watch of the cache is failing.
func (h *watchHealth) healthy() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.failing) == 0
}

func (h *watchHealth) record(key string, err error) {
	h.mu.Lock()
	if err != nil {
		h.failing[key] = true
	} else {
		delete(h.failing, key)
	}
	h.mu.Unlock()
	if err != nil && h.onFail != nil {
		h.onFail(err)
	}
}

// watchSignal records the outcome of the cache's lists and watches
// (requests with a field selector: reads by name have none, so the
// mirror's own reads past the cache, which fail the same way while the
// pivot is away, cannot feed back into more reads).
type watchSignal struct {
	next   http.RoundTripper
	health *watchHealth
}

func (w *watchSignal) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(req)
	sel := req.URL.Query().Get("fieldSelector")
	if sel == "" || req.Context().Err() != nil {
		return resp, err
	}
	key := req.URL.Path + "?" + sel
	switch {
	case err != nil:
		w.health.record(key, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err))
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden ||
		resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= http.StatusInternalServerError:
		// client-go retries a throttled or failed watch without telling.
		w.health.record(key, fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status))
	case resp.StatusCode < 300:
		w.health.record(key, nil)
	}
	return resp, err
}
