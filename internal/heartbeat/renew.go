package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ErrNoLease means the cluster's Lease is missing and could not be created,
// or the agent may not read or renew it (RBAC from before Leases, or a hub
// that predates them): the caller falls back to the heartbeat in the
// Cluster's status.lastHeartbeat.
var ErrNoLease = errors.New("heartbeat Lease unavailable")

// Renewer renews one cluster's heartbeat Lease. It keeps the Lease it last
// wrote, so that a renewal is one update request (a get only after a
// conflict), as the kubelet does. Not safe for concurrent use.
type Renewer struct {
	// CreateMissing creates the Lease when it does not exist: for the
	// pivot's own agent, which may. A member's agent has no create right
	// (the hub creates its Lease) and falls back until the Lease appears.
	CreateMissing bool

	c        client.Client
	key      client.ObjectKey
	cluster  string
	duration time.Duration
	lease    *coordinationv1.Lease
}

// NewRenewer returns a Renewer of cluster's Lease in namespace, declaring
// LeaseDuration(interval).
func NewRenewer(c client.Client, namespace, cluster string, interval time.Duration) *Renewer {
	return &Renewer{c: c, key: client.ObjectKey{Namespace: namespace, Name: LeaseName(cluster)}, cluster: cluster,
		duration: LeaseDuration(interval)}
}

// Renew sets the Lease's renewTime to now. It returns an error wrapping
// ErrNoLease when the Lease cannot be used (see ErrNoLease), another error
// when the pivot did not answer.
func (r *Renewer) Renew(ctx context.Context, now time.Time) error {
	for attempt := 0; ; attempt++ {
		if r.lease == nil {
			if err := r.load(ctx); err != nil {
				return err
			}
		}
		l := r.lease.DeepCopy()
		holder := Holder(r.cluster)
		if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != holder {
			l.Spec.HolderIdentity = ptr.To(holder)
			l.Spec.AcquireTime = &metav1.MicroTime{Time: now}
		}
		l.Spec.LeaseDurationSeconds = ptr.To(int32(r.duration / time.Second))
		l.Spec.RenewTime = &metav1.MicroTime{Time: now}
		err := r.c.Update(ctx, l)
		switch {
		case err == nil:
			r.lease = l
			return nil
		case (apierrors.IsConflict(err) || apierrors.IsNotFound(err)) && attempt == 0:
			r.lease = nil // someone else wrote it (or deleted it): read again
			continue
		}
		r.lease = nil
		return r.wrap("renewing", err)
	}
}

// load reads the Lease, creating it when it is missing and CreateMissing.
func (r *Renewer) load(ctx context.Context) error {
	l := &coordinationv1.Lease{}
	err := r.c.Get(ctx, r.key, l)
	if apierrors.IsNotFound(err) && r.CreateMissing {
		l = New(r.key.Namespace, r.cluster)
		err = r.c.Create(ctx, l)
		if err != nil {
			return r.wrap("creating", err)
		}
	}
	if err != nil {
		return r.wrap("reading", err)
	}
	r.lease = l
	return nil
}

func (r *Renewer) wrap(what string, err error) error {
	if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) || apierrors.IsAlreadyExists(err) {
		err = errors.Join(ErrNoLease, err)
	}
	return fmt.Errorf("%s heartbeat Lease %s: %w", what, r.key, err)
}

// New returns cluster's heartbeat Lease in namespace, never renewed, as the
// hub pre-creates it.
func New(namespace, cluster string) *coordinationv1.Lease {
	return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{
		Namespace: namespace, Name: LeaseName(cluster),
		Labels: map[string]string{LabelCluster: cluster, "app.kubernetes.io/part-of": "hotplug"},
	}}
}
