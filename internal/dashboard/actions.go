package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// ClientActions performs actions with Client's identity (the operator's
// kubeconfig for `hotplug dashboard`), so Kubernetes RBAC and the webhook
// decide, and their refusal reaches the page unchanged.
type ClientActions struct {
	Client client.Client
	// Namespace is the hub's, where the revisions of common are kept.
	Namespace string
}

// Rollout implements Actions with the same operations as `hotplug rollout`.
func (a ClientActions) Rollout(ctx context.Context, op string) (string, error) {
	switch op {
	case "pause":
		changed, err := rollout.Pause(ctx, a.Client)
		if err != nil {
			return "", apiError(err)
		}
		if !changed {
			return "rollout of common already paused", nil
		}
		return "rollout of common paused", nil
	case "resume":
		if err := rollout.Resume(ctx, a.Client); err != nil {
			return "", apiError(err)
		}
		return "rollout of common resumed", nil
	case "undo":
		restored, gen, err := rollout.Undo(ctx, a.Client, a.Namespace)
		if err != nil {
			if errors.Is(err, rollout.ErrNothingToUndo) {
				return "", httpError{http.StatusConflict, err}
			}
			return "", apiError(err)
		}
		return fmt.Sprintf("common set back to revision %d (now generation %d)", restored, gen), nil
	}
	return "", httpError{http.StatusNotFound, fmt.Errorf("unknown rollout action %q", op)}
}

// Allowed implements Actions with SelfSubjectAccessReviews: pause and
// resume patch common, undo updates it.
func (a ClientActions) Allowed(ctx context.Context) map[string]bool {
	can := func(verb string) bool {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: verb, Group: hotplugv1.GroupVersion.Group,
				Resource: "hotplugs", Name: hotplugv1.CommonName}}}
		return a.Client.Create(ctx, review) == nil && review.Status.Allowed
	}
	patch := can("patch")
	return map[string]bool{"pause": patch, "resume": patch, "undo": can("update")}
}

// httpError is an error with its HTTP status (StatusError).
type httpError struct {
	code int
	err  error
}

func (e httpError) Error() string { return e.err.Error() }
func (e httpError) Unwrap() error { return e.err }
func (e httpError) Status() int   { return e.code }

// apiError keeps an API server's refusal (403, 404, 409, 422) as its status.
func apiError(err error) error {
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Code >= 400 {
		return httpError{int(st.Status().Code), err}
	}
	return err
}
