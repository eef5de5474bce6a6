package helm

import (
	"context"
	"fmt"
	"strconv"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	release "helm.sh/helm/v4/pkg/release/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/metadata"

	"github.com/kubecube-io/hotplug/internal/drift"
)

// Why upgrades, rollbacks and adopting installs apply through respectingKube
// and force conflicts: an HPA changes a Deployment's spec.replicas through
// the scale subresource under the manager "kube-controller-manager", which
// then owns the field. Helm applies server-side without forcing, so every
// later upgrade and rollback whose manifest sets replicas failed with a
// conflict, for ever. Forcing alone would take the replicas back from the
// HPA. So the objects are applied forced, without the fields that respected
// managers (Options.Respect, as drift detection) own on the live object:
// those stay with their managers, and a field any other manager took
// (kubectl edit, while drift repair was off or held) is taken back as drift
// repair would.

// serverSide tells whether Helm applies a release whose recorded apply
// method is method server-side: what Helm's "auto" decides (releases the
// Helm v3 CLI made have none and are applied client-side, where forcing is
// refused and stripping a field would delete it).
func serverSide(method string) bool {
	return method == string(release.ApplyMethodServerSideApply)
}

// respectOwners makes cfg's kube client apply, in Update, every object
// without the fields respected managers own on its live object (see
// respectingKube); reads are bounded by ctx. Call it only for an action that
// applies server-side.
func (c *Client) respectOwners(ctx context.Context, cfg *action.Configuration) {
	cfg.KubeClient = &respectingKube{
		Interface: cfg.KubeClient,
		ctx:       ctx,
		meta:      c.meta,
		self:      drift.HelmFieldManager(),
		respect:   c.opts.respect(),
		log:       c.log,
	}
}

// applyMode returns what to give an upgrade's or rollback's ServerSideApply
// and ForceConflicts for a release whose revision to apply from was applied
// with method: the same decision as Helm's "auto", made explicit so that
// forcing (which Helm refuses client-side) and stripping agree with it.
func applyMode(method string) (serverSideApply string, force bool) {
	ssa := serverSide(method)
	return strconv.FormatBool(ssa), ssa
}

// respectingKube is Helm's kube client whose Update (used by upgrades,
// rollbacks and installs adopting existing objects) first removes from each
// target object the fields that respected managers other than Helm's own
// field manager own on the live object (drift.StripRespected), so a forced
// apply leaves them to their managers. It costs one metadata GET per target
// object; an object that does not exist yet is applied whole. Everything else
// is Helm's client unchanged.
type respectingKube struct {
	kube.Interface
	ctx     context.Context
	meta    metadata.Interface
	self    string
	respect func(string) bool
	log     logr.Logger
}

var _ kube.InterfaceWaitOptions = (*respectingKube)(nil)

// msgReadingManagers is logged when Update starts reading the live
// objects' field managers (hack/bench's timeline times that step by it).
const msgReadingManagers = "reading the field managers of the live objects"

// GetWaiterWithOptions passes Helm's wait options through (Helm looks for
// this method on its kube client, and without it would drop them).
func (r *respectingKube) GetWaiterWithOptions(ws kube.WaitStrategy, opts ...kube.WaitOption) (kube.Waiter, error) {
	if w, ok := r.Interface.(kube.InterfaceWaitOptions); ok {
		return w.GetWaiterWithOptions(ws, opts...)
	}
	return r.GetWaiter(ws)
}

// Update strips every target, then lets Helm update. A target whose live
// object cannot be read fails the update before anything is applied: applied
// whole and forced, it would take fields from their managers.
func (r *respectingKube) Update(original, target kube.ResourceList, options ...kube.ClientUpdateOption) (*kube.Result, error) {
	r.log.V(1).Info(msgReadingManagers, "objects", len(target))
	// The reads are independent (each strip changes only its own info):
	// several at once, as 154 sequential GETs took half a second.
	g := errgroup.Group{}
	g.SetLimit(stripReaders)
	for _, info := range target {
		g.Go(func() error { return r.strip(info) })
	}
	if err := g.Wait(); err != nil {
		return &kube.Result{}, err
	}
	return r.Interface.Update(original, target, options...)
}

// stripReaders is how many live objects respectingKube reads at once.
const stripReaders = 8

// strip replaces info's object by its stripped copy when a respected manager
// owns any of its fields.
func (r *respectingKube) strip(info *resource.Info) error {
	u, ok := info.Object.(*unstructured.Unstructured)
	if !ok || info.Mapping == nil {
		return nil // Helm builds unstructured objects with a mapping; nothing else reaches here
	}
	kind := info.Mapping.GroupVersionKind.Kind
	live, err := r.meta.Resource(info.Mapping.Resource).Namespace(info.Namespace).Get(r.ctx, info.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the field managers of %s %s: %w", kind, objectName(info), err)
	}
	stripped, paths, err := drift.StripRespected(u, live.ManagedFields, r.self, r.respect)
	if err != nil {
		return fmt.Errorf("%s %s: %w", kind, objectName(info), err)
	}
	if len(paths) == 0 {
		return nil
	}
	info.Object = stripped
	r.log.V(1).Info("leaving fields to the managers that own them", "kind", kind, "namespace", info.Namespace, "name", info.Name, "fields", paths)
	return nil
}

// objectName returns "namespace/name", or "name" for a cluster-scoped object.
func objectName(info *resource.Info) string {
	if info.Namespace == "" {
		return info.Name
	}
	return info.Namespace + "/" + info.Name
}
