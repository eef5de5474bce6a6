package helm

import (
	"context"
	"time"

	"helm.sh/helm/v4/pkg/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/metadata"
)

// goneCheckTimeout bounds absentFirst's reads of one wait.
const goneCheckTimeout = 5 * time.Second

// absentFirst is Helm's kube client whose waiters, asked to wait until
// objects are deleted, first read each object (a metadata GET, a few
// milliseconds) and return at once when none exists any more; otherwise
// Helm's waiter waits as before. Why: with Helm's wait on (the agent's
// --wait, Options.Wait) Helm's status watcher starts informers (a LIST and
// a WATCH per kind) for every wait, about 0.1 s, and Helm waits so after
// each hook object it deletes, whether it existed or not
// (before-hook-creation, hook-succeeded): 24 waits in one install of a
// chart with 12 hook objects, 2.4 s of nothing. (Without the wait, Helm's
// hook-only waiter does not wait for deletions at all.)
type absentFirst struct {
	kube.Interface
	meta metadata.Interface
}

var _ kube.InterfaceWaitOptions = (*absentFirst)(nil)

// GetWaiter implements kube.Interface.
func (a *absentFirst) GetWaiter(ws kube.WaitStrategy) (kube.Waiter, error) {
	return a.GetWaiterWithOptions(ws)
}

// GetWaiterWithOptions implements kube.InterfaceWaitOptions.
func (a *absentFirst) GetWaiterWithOptions(ws kube.WaitStrategy, opts ...kube.WaitOption) (kube.Waiter, error) {
	var w kube.Waiter
	var err error
	if inner, ok := a.Interface.(kube.InterfaceWaitOptions); ok {
		w, err = inner.GetWaiterWithOptions(ws, opts...)
	} else {
		w, err = a.Interface.GetWaiter(ws)
	}
	if err != nil {
		return nil, err
	}
	return absentWaiter{Waiter: w, meta: a.meta}, nil
}

// absentWaiter is a Waiter whose WaitForDelete returns at once when every
// object is already gone.
type absentWaiter struct {
	kube.Waiter
	meta metadata.Interface
}

// WaitForDelete implements kube.Waiter.
func (w absentWaiter) WaitForDelete(resources kube.ResourceList, timeout time.Duration) error {
	if w.allGone(resources) {
		return nil
	}
	return w.Waiter.WaitForDelete(resources, timeout)
}

// allGone tells whether a read of each object found it absent; any other
// answer (present, an error, no mapping) leaves the wait to Helm.
func (w absentWaiter) allGone(resources kube.ResourceList) bool {
	ctx, cancel := context.WithTimeout(context.Background(), goneCheckTimeout)
	defer cancel()
	for _, info := range resources {
		if info.Mapping == nil {
			return false
		}
		_, err := w.meta.Resource(info.Mapping.Resource).Namespace(info.Namespace).Get(ctx, info.Name, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return false
		}
	}
	return true
}
