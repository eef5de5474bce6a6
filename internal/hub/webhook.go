package hub

import (
	"context"
	"fmt"
	"net/http"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	clusterv1 "github.com/kubecube-io/hotplug/api/cluster/v1"
	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/limits"
)

// DefaultValidationTimeout bounds one admission review; it leaves margin
// under the webhook configuration's 10 s timeout for reading the fleet and
// answering.
const DefaultValidationTimeout = 7 * time.Second

// validator is the admission handler for Hotplug and Cluster objects.
type validator struct {
	// c reads past the cache, for the guard: deletions are rare and must
	// see the current `common`.
	c client.Reader
	// reads reads what a create or spec change is validated against.
	reads   fleetReader
	decoder admission.Decoder
	lim     limits.Limits
	timeout time.Duration
	workers int
}

func newValidator(c client.Reader, lim limits.Limits, timeout time.Duration) *validator {
	if timeout <= 0 {
		timeout = DefaultValidationTimeout
	}
	return &validator{c: c, reads: fleetReader{live: c}, decoder: admission.NewDecoder(kube.Scheme), lim: lim.Normalize(), timeout: timeout}
}

// Handle dispatches on the kind under review.
func (v *validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	if req.Kind.Group == clusterv1.GroupVersion.Group && req.Kind.Kind == "Cluster" {
		return v.handleCluster(ctx, req)
	}
	return v.handleHotplug(ctx, req)
}

// handleCluster refuses a Cluster named `common` (its own Hotplug would be
// the shared one) and guards a Cluster's deletion (guardClusterDeletion,
// against the live Hotplugs).
func (v *validator) handleCluster(ctx context.Context, req admission.Request) admission.Response {
	switch req.Operation {
	case admissionv1.Create:
		if err := validateClusterName(req.Name); err != nil {
			return admission.Denied(err.Error())
		}
	case admissionv1.Delete:
		cl := &clusterv1.Cluster{}
		if err := v.decoder.DecodeRaw(req.OldObject, cl); err != nil {
			return admission.Errored(http.StatusBadRequest, fmt.Errorf("decoding the old object: %w", err))
		}
		own, err := v.liveHotplug(ctx, cl.Name)
		if err != nil || own == nil {
			return errOrAllowed(err)
		}
		common, err := v.liveHotplug(ctx, hotplugv1.CommonName)
		if err != nil {
			return errOrAllowed(err)
		}
		if err := guardClusterDeletion(cl, own, common); err != nil {
			return admission.Denied(limits.Message(err.Error(), limits.MaxConditionBytes))
		}
	}
	return admission.Allowed("")
}

// errOrAllowed answers a failed read with an error (the request is then
// refused: failurePolicy Fail) and no error with an admission.
func errOrAllowed(err error) admission.Response {
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return admission.Allowed("")
}

// validateClusterName refuses the one name a Cluster cannot have.
func validateClusterName(name string) error {
	if name == hotplugv1.CommonName {
		return fmt.Errorf("cluster %q: metadata.name: %q is reserved for the Hotplug every cluster shares; choose another name",
			name, hotplugv1.CommonName)
	}
	return nil
}

// handleHotplug guards deletions and sync-annotation removals, then
// validates creates and spec changes; other metadata-only updates (labels,
// the hub's own annotation) pass so that an object made invalid by a
// deleted Cluster can still be tidied up.
func (v *validator) handleHotplug(ctx context.Context, req admission.Request) admission.Response {
	var old, hp *hotplugv1.Hotplug
	if req.Operation == admissionv1.Delete || req.Operation == admissionv1.Update {
		old = &hotplugv1.Hotplug{}
		if err := v.decoder.DecodeRaw(req.OldObject, old); err != nil {
			return admission.Errored(http.StatusBadRequest, fmt.Errorf("decoding the old object: %w", err))
		}
	}
	if req.Operation != admissionv1.Delete {
		hp = &hotplugv1.Hotplug{}
		if err := v.decoder.Decode(req, hp); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
	}
	if old != nil {
		if resp, done := v.guard(ctx, old, hp); done {
			return resp
		}
		if hp == nil || equality.Semantic.DeepEqual(old.Spec, hp.Spec) {
			return admission.Allowed("")
		}
	}
	verdict, err := v.validate(ctx, hp)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	if verdict != nil {
		return admission.Denied(limits.Message(verdict.Error(), limits.MaxConditionBytes))
	}
	return admission.Allowed("")
}

// validate runs Validate on hp against the fleet it configures (see
// fleetReader for what is read where) and returns its verdict; err is a
// failed read. A cluster's own Hotplug refused against the cache is
// validated again against live reads, so that a stale cache never refuses
// a valid object; an admission against a stale `common` is possible for
// the cache's delay, as it is between any two concurrent admissions, and
// the agent's merge then fails only that cluster's component.
func (v *validator) validate(ctx context.Context, hp *hotplugv1.Hotplug) (verdict, err error) {
	if hp.Name == hotplugv1.CommonName {
		fleet, err := v.reads.all(ctx)
		if err != nil {
			return nil, err
		}
		fleet.Workers = v.workers
		return Validate(ctx, v.lim, hp, fleet), nil
	}
	fleet, fromCache, err := v.reads.member(ctx, hp.Name, false)
	if err != nil {
		return nil, err
	}
	verdict = Validate(ctx, v.lim, hp, fleet)
	if verdict == nil || !fromCache || ctx.Err() != nil {
		return verdict, nil
	}
	if fleet, _, err = v.reads.member(ctx, hp.Name, true); err != nil {
		return nil, err
	}
	return Validate(ctx, v.lim, hp, fleet), nil
}

// guard applies guardDeletion and, for `common`, guardStrategy; done is
// true when it decided (a refusal, or an admitted deletion). An admitted
// update goes on to validation.
func (v *validator) guard(ctx context.Context, old, hp *hotplugv1.Hotplug) (admission.Response, bool) {
	if err := guardStrategy(old, hp); err != nil {
		return admission.Denied(limits.Message(err.Error(), limits.MaxConditionBytes)), true
	}
	if !needsGuard(old, hp) {
		return admission.Response{}, false
	}
	var common *hotplugv1.Hotplug
	registered := false
	if old.Name != hotplugv1.CommonName {
		var err error
		if common, err = v.liveHotplug(ctx, hotplugv1.CommonName); err != nil {
			return admission.Errored(http.StatusInternalServerError, err), true
		}
		err = v.c.Get(ctx, client.ObjectKey{Name: old.Name}, &clusterv1.Cluster{})
		switch {
		case err == nil:
			registered = true
		case !apierrors.IsNotFound(err):
			return admission.Errored(http.StatusInternalServerError, fmt.Errorf("reading cluster %q: %w", old.Name, err)), true
		}
	}
	if err := guardDeletion(old, hp, common, registered); err != nil {
		return admission.Denied(limits.Message(err.Error(), limits.MaxConditionBytes)), true
	}
	return admission.Allowed(""), hp == nil
}

// liveHotplug reads the Hotplug name past the cache; nil when there is
// none.
func (v *validator) liveHotplug(ctx context.Context, name string) (*hotplugv1.Hotplug, error) {
	hp := &hotplugv1.Hotplug{}
	err := v.c.Get(ctx, client.ObjectKey{Name: name}, hp)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading hotplug %q: %w", name, err)
	}
	return hp, nil
}
