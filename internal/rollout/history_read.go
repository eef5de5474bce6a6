package rollout

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ReadHistory reads revision number of common from the hub's namespace:
// its Secret, or (kept by a hub from before revisions moved to Secrets,
// until the hub migrates it) its ControllerRevision. Errors name the
// object and wrap the API error (NotFound when neither exists).
func ReadHistory(ctx context.Context, c client.Reader, namespace string, number int64) (Revision, error) {
	key := types.NamespacedName{Namespace: namespace, Name: HistoryName(number)}
	s := &corev1.Secret{}
	err := c.Get(ctx, key, s)
	if err == nil {
		return DecodeSecret(s, Ref{Number: number})
	}
	if !apierrors.IsNotFound(err) {
		return Revision{}, fmt.Errorf("reading revision %d of common: Secret %s: %w", number, key, err)
	}
	cr := &appsv1.ControllerRevision{}
	if lerr := c.Get(ctx, key, cr); lerr == nil {
		return Decode(cr)
	} else if !apierrors.IsNotFound(lerr) {
		return Revision{}, fmt.Errorf("reading revision %d of common: ControllerRevision %s: %w", number, key, lerr)
	}
	return Revision{}, fmt.Errorf("revision %d of common: Secret %s not found (is --namespace the hub's?): %w", number, key, err)
}
