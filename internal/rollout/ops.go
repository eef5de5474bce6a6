package rollout

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// ErrNothingToUndo says that `common` already holds the content of the
// last revision that completed everywhere.
var ErrNothingToUndo = errors.New("nothing to undo")

// GetCommon reads `common` from the pivot, naming it in the error.
func GetCommon(ctx context.Context, c client.Reader) (*hotplugv1.Hotplug, error) {
	common := &hotplugv1.Hotplug{}
	if err := c.Get(ctx, types.NamespacedName{Name: hotplugv1.CommonName}, common); err != nil {
		return nil, fmt.Errorf("reading Hotplug %s: %w", hotplugv1.CommonName, err)
	}
	return common, nil
}

// annotate changes common's annotations with edit (which reports whether
// it changed anything; it sees common as read) in a merge patch
// conditional on the resourceVersion read, retried on conflict.
func annotate(ctx context.Context, c client.Client, edit func(common *hotplugv1.Hotplug) bool) (bool, error) {
	changed := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		common, err := GetCommon(ctx, c)
		if err != nil {
			return err
		}
		patch := client.MergeFromWithOptions(common.DeepCopy(), client.MergeFromWithOptimisticLock{})
		if common.Annotations == nil {
			common.Annotations = map[string]string{}
		}
		if changed = edit(common); !changed {
			return nil
		}
		return c.Patch(ctx, common, patch)
	})
	if err != nil {
		return false, fmt.Errorf("annotating Hotplug %s: %w", hotplugv1.CommonName, err)
	}
	return changed, nil
}

// Pause sets the paused annotation on `common` (`hotplug rollout pause`);
// it reports whether it was not set yet.
func Pause(ctx context.Context, c client.Client) (bool, error) {
	return annotate(ctx, c, func(common *hotplugv1.Hotplug) bool {
		if common.Annotations[hotplugv1.RolloutPausedAnnotation] == "true" {
			return false
		}
		common.Annotations[hotplugv1.RolloutPausedAnnotation] = "true"
		return true
	})
}

// Resume removes the paused annotation and sets resumed-at to a new
// Marker (`hotplug rollout resume`); the hub then gives every cluster that
// failed a new progress deadline from when it sees the marker, by its own
// clock: the client's clock plays no part.
func Resume(ctx context.Context, c client.Client) error {
	_, err := annotate(ctx, c, func(common *hotplugv1.Hotplug) bool {
		delete(common.Annotations, hotplugv1.RolloutPausedAnnotation)
		common.Annotations[hotplugv1.RolloutResumedAtAnnotation] = Marker(common)
		return true
	})
	return err
}

// Undo sets `common`'s spec back to the content of the last revision that
// completed everywhere (status.rollout.revision, read from its history
// object in namespace), keeping the current rollout settings; the result
// is a new generation that the hub assigns at once to every cluster. It
// returns the revision restored and the new generation, and
// ErrNothingToUndo (wrapped, with why) when common already holds it.
func Undo(ctx context.Context, c client.Client, namespace string) (restored, generation int64, err error) {
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		common, err := GetCommon(ctx, c)
		if err != nil {
			return err
		}
		st := common.Status.Rollout
		if !Progressive(common) || st == nil || st.Revision == 0 {
			return fmt.Errorf("%w: Hotplug %s has no completed revision in status.rollout (spec.rollout.strategy must be %s and the hub running)",
				ErrNothingToUndo, hotplugv1.CommonName, hotplugv1.RolloutProgressive)
		}
		rev, err := ReadHistory(ctx, c, namespace, st.Revision)
		if err != nil {
			return err
		}
		if ContentDigest(rev.Spec) == ContentDigest(common.Spec) {
			return fmt.Errorf("%w: Hotplug %s (generation %d) already holds the content of revision %d, the last that completed everywhere",
				ErrNothingToUndo, hotplugv1.CommonName, common.Generation, st.Revision)
		}
		spec := rev.Spec
		spec.Rollout = common.Spec.Rollout
		common.Spec = spec
		if err := c.Update(ctx, common); err != nil {
			return err
		}
		restored, generation = st.Revision, common.Generation
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("undoing the rollout of common: %w", err)
	}
	return restored, generation, nil
}
