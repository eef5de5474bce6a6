package health

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// MaxPodsListed bounds the pods read to explain one workload.
const MaxPodsListed = 100

// Checker reads the objects of a release and judges each one with kstatus.
// It only reads: the versions of the objects (see Versions), one GET per
// object not judged Current at its present version before, and one bounded
// pod LIST per workload that is in progress. It is safe for concurrent use.
type Checker struct {
	reader client.Reader
	mapper meta.RESTMapper

	mu      sync.Mutex
	current map[ObjectRef]judged // objects last judged Current, by ref
}

// judged is an object's health at one resourceVersion.
type judged struct {
	version string
	health  ObjectHealth
}

// maxRemembered bounds the objects a Checker remembers; past it, it
// starts over (the next checks read every object once more).
const maxRemembered = 20000

// NewChecker returns a Checker that reads through reader and resolves kinds
// with mapper. reader must be able to Get any kind as unstructured and to
// List core/v1 Pods; a cache-backed reader starts an informer for every
// kind it is asked about, so pass a direct reader (such as a manager's
// APIReader) unless the caller watches those kinds anyway.
func NewChecker(reader client.Reader, mapper meta.RESTMapper) *Checker {
	return &Checker{reader: reader, mapper: mapper}
}

// Check returns the health of every object of a release's manifest (see
// Objects), in kind/namespace/name order. defaultNamespace is the release's
// namespace, used for namespaced objects the manifest leaves without one.
// An object that does not exist, or whose kind the API server does not
// serve, is NotFound; an object judged Current before at the version it
// still has is not read again (see Versions); an object kstatus cannot judge is Unknown with kstatus'
// error as message; a workload (Deployment, StatefulSet, DaemonSet,
// ReplicaSet, Job) in progress gets its first troubled pod's reason (see
// FirstPodReason). A manifest that cannot be parsed, or a read that fails for
// another reason than NotFound (forbidden, unreachable, cancelled), is an
// error: health is then unknown, not failed.
func (c *Checker) Check(ctx context.Context, manifest, defaultNamespace string) ([]ObjectHealth, error) {
	refs, err := Objects(manifest)
	if err != nil {
		return nil, err
	}
	refs, unserved, err := c.Resolve(refs, defaultNamespace)
	if err != nil {
		return nil, err
	}
	out := make([]ObjectHealth, 0, len(refs)+len(unserved))
	for _, ref := range unserved {
		out = append(out, ObjectHealth{Ref: ref, Status: status.NotFoundStatus,
			Message: "kind " + ref.GroupVersion().String() + " " + ref.Kind + " is not served by the API server"})
	}
	versions, err := Versions(ctx, c.reader, refs)
	if err != nil {
		return nil, err
	}
	for _, ref := range refs {
		if h, ok := c.remembered(ref, versions); ok {
			out = append(out, h)
			continue
		}
		h, version, err := c.checkOne(ctx, ref)
		if err != nil {
			return nil, err
		}
		c.remember(ref, version, h)
		out = append(out, h)
	}
	sortHealth(out)
	return out, nil
}

// remembered returns the health of ref when it was judged Current at the
// version it has now: an object that did not change did not change health
// (a workload's pods change their workload's status, and so its version).
func (c *Checker) remembered(ref ObjectRef, versions map[ObjectRef]string) (ObjectHealth, bool) {
	v, ok := versions[ref]
	if !ok {
		return ObjectHealth{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.current[ref]
	if !ok || j.version != v {
		return ObjectHealth{}, false
	}
	return j.health, true
}

// remember records h of ref at version when it is Current, and forgets ref
// otherwise.
func (c *Checker) remember(ref ObjectRef, version string, h ObjectHealth) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h.Status != status.CurrentStatus || version == "" {
		delete(c.current, ref)
		return
	}
	if c.current == nil || len(c.current) >= maxRemembered {
		c.current = map[ObjectRef]judged{}
	}
	c.current[ref] = judged{version: version, health: h}
}

// Resolve completes the namespaces of refs as the API server sees them:
// namespaced kinds written without namespace get defaultNamespace, and
// cluster-scoped kinds lose any namespace written for them. Refs whose kind
// the API server does not serve are returned apart, unchanged, in unserved;
// any other mapping failure is an error. Order is kept; the input is not
// modified.
func (c *Checker) Resolve(refs []ObjectRef, defaultNamespace string) (resolved, unserved []ObjectRef, err error) {
	resolved = make([]ObjectRef, 0, len(refs))
	for _, ref := range refs {
		m, err := c.mapper.RESTMapping(ref.GroupKind(), ref.Version)
		if meta.IsNoMatchError(err) {
			unserved = append(unserved, ref)
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("mapping %s: %w", ref, err)
		}
		resolved = append(resolved, scoped(ref, m.Scope.Name() == meta.RESTScopeNameNamespace, defaultNamespace))
	}
	return resolved, unserved, nil
}

// scoped returns ref with the namespace its scope gives it.
func scoped(ref ObjectRef, namespaced bool, defaultNamespace string) ObjectRef {
	switch {
	case !namespaced:
		ref.Namespace = ""
	case ref.Namespace == "":
		ref.Namespace = defaultNamespace
	}
	return ref
}

// checkOne reads one object and judges it; it also returns the version
// it judged ("" when the object does not exist).
func (c *Checker) checkOne(ctx context.Context, ref ObjectRef) (ObjectHealth, string, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(ref.GroupVersionKind)
	err := c.reader.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, u)
	if apierrors.IsNotFound(err) {
		return ObjectHealth{Ref: ref, Status: status.NotFoundStatus, Message: "not found"}, "", nil
	}
	if err != nil {
		return ObjectHealth{}, "", fmt.Errorf("reading %s: %w", ref, err)
	}
	h := judge(ref, u)
	if h.Status == status.InProgressStatus {
		if sel, ok := podSelector(ref, u); ok {
			reason, err := c.podReason(ctx, ref.Namespace, sel)
			if err != nil {
				return ObjectHealth{}, "", fmt.Errorf("reading the pods of %s: %w", ref, err)
			}
			h.Reason = reason
		}
	}
	return h, u.GetResourceVersion(), nil
}

// judge computes the kstatus of a live object.
func judge(ref ObjectRef, u *unstructured.Unstructured) ObjectHealth {
	res, err := status.Compute(u)
	if err != nil {
		return ObjectHealth{Ref: ref, Status: status.UnknownStatus, Message: "cannot judge: " + err.Error()}
	}
	return ObjectHealth{Ref: ref, Status: res.Status, Message: res.Message}
}

// workloads are the kinds whose pods explain why they are in progress.
var workloads = map[[2]string]bool{
	{"apps", "Deployment"}: true, {"apps", "StatefulSet"}: true, {"apps", "DaemonSet"}: true,
	{"apps", "ReplicaSet"}: true, {"batch", "Job"}: true,
}

// podSelector returns the pod selector of a workload, or false when ref is
// no workload or its selector is missing, invalid or empty (which would
// select every pod of the namespace).
func podSelector(ref ObjectRef, u *unstructured.Unstructured) (labels.Selector, bool) {
	if !workloads[[2]string{ref.Group, ref.Kind}] {
		return nil, false
	}
	raw, found, err := unstructured.NestedMap(u.Object, "spec", "selector")
	if err != nil || !found {
		return nil, false
	}
	var ls metav1.LabelSelector
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &ls); err != nil {
		return nil, false
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil || sel.Empty() {
		return nil, false
	}
	return sel, true
}

// podReason lists at most MaxPodsListed pods of sel in namespace and
// returns the first one's reason.
func (c *Checker) podReason(ctx context.Context, namespace string, sel labels.Selector) (string, error) {
	var pods corev1.PodList
	err := c.reader.List(ctx, &pods, client.InNamespace(namespace), client.MatchingLabelsSelector{Selector: sel}, client.Limit(MaxPodsListed))
	if err != nil {
		return "", err
	}
	return FirstPodReason(pods.Items), nil
}
