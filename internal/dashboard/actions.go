package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
