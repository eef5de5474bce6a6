// Package statuspatch is the one way hotplug writes an object's status: read
// the object, let the caller compute the new status from it, and write only
// on change, as a merge patch of the status subresource locked to the
// resourceVersion that was read. A concurrent writer then makes the patch
// fail with a conflict, which is retried from a fresh read, instead of one
// writer silently overwriting the other.
package statuspatch

import (
	"context"

	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Mutate sets the wanted status on obj, which was just read, and tells
// whether anything is to be written; it runs again on every retry, each
// time on a fresh read. If it writes the object itself (e.g. its metadata),
// it must leave obj's resourceVersion at the version it wrote, so that the
// status patch is locked to that version.
type Mutate[T client.Object] func(obj T) (changed bool, err error)

// Patch reads the object key through r into a new object from newObj,
// calls mutate on it and, when mutate reports a change, patches the status
// subresource through w with an optimistic-lock merge patch, retrying the
// whole read-mutate-patch on conflict (retry.DefaultRetry). It reports
// whether it wrote. Errors from the read (NotFound included), from mutate
// and from the patch are returned unwrapped, so callers decide which to
// ignore and how to name them. On success the object last read (and
// patched, when wrote) is left in the value returned by the last newObj.
func Patch[T client.Object](ctx context.Context, r client.Reader, w client.Client, key client.ObjectKey, newObj func() T, mutate Mutate[T]) (wrote bool, err error) {
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		wrote = false
		obj := newObj()
		if err := r.Get(ctx, key, obj); err != nil {
			return err
		}
		base, ok := obj.DeepCopyObject().(client.Object)
		if !ok {
			// Unreachable for generated API types: DeepCopyObject keeps the type.
			return errNotObject
		}
		changed, err := mutate(obj)
		if err != nil || !changed {
			return err
		}
		base.SetResourceVersion(obj.GetResourceVersion())
		if err := w.Status().Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return err
		}
		wrote = true
		return nil
	})
	return wrote, err
}
