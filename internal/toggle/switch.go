// Package toggle switches a component on or off in one Hotplug (common or
// a cluster's own), the write behind `hotplug enable|disable` and the fleet
// view's switch.
package toggle

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// SwitchResult says what Switch did.
type SwitchResult struct {
	// Object is the Hotplug changed: "common" or a cluster's name.
	Object string
	// Generation is the object's generation after the change; the agent has
	// applied the change once status.observedGeneration reaches it.
	Generation int64
	// Created is true when the cluster's own Hotplug did not exist.
	Created bool
	// Added is true when the component was not listed in the object.
	Added bool
	// Changed is false when the object already said so (nothing written).
	Changed bool
	// Overrides lists, for a change of common, the other Hotplugs on the
	// cluster that set the component's status themselves: those clusters
	// keep their own setting.
	Overrides []string
}

// ErrNoCommon is wrapped when `common` should be changed but does not exist.
var ErrNoCommon = errors.New("no Hotplug named common on this cluster")

// Switch sets the status of component (enabled or disabled) in the Hotplug
// named object. For common the object must exist. A cluster's own Hotplug
// is created when missing, with the sync annotation so that the cluster's
// agent sees it. A component the object does not list is added with its
// name and status only, so everything else still comes from common.
// Updates retry on conflicts (another writer between read and write), each
// time on a fresh read, so concurrent edits of other fields are kept.
func Switch(ctx context.Context, c client.Client, object, component, status string) (SwitchResult, error) {
	if status != hotplugv1.StatusEnabled && status != hotplugv1.StatusDisabled {
		return SwitchResult{}, fmt.Errorf("status %q: want %s or %s", status, hotplugv1.StatusEnabled, hotplugv1.StatusDisabled)
	}
	res := SwitchResult{Object: object}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		res = SwitchResult{Object: object}
		hp := &hotplugv1.Hotplug{}
		err := c.Get(ctx, client.ObjectKey{Name: object}, hp)
		switch {
		case apierrors.IsNotFound(err) && object == hotplugv1.CommonName:
			return fmt.Errorf("%w: apply it first (kubectl apply -f common.yaml), or pass --cluster to change one cluster", ErrNoCommon)
		case apierrors.IsNotFound(err):
			hp = &hotplugv1.Hotplug{
				ObjectMeta: metav1.ObjectMeta{Name: object, Annotations: map[string]string{hotplugv1.SyncAnnotation: "true"}},
				Spec:       hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: component, Status: status}}},
			}
			if err := c.Create(ctx, hp); err != nil {
				if apierrors.IsAlreadyExists(err) {
					// Created meanwhile by someone else: update theirs.
					return apierrors.NewConflict(hotplugv1.GroupVersion.WithResource("hotplugs").GroupResource(), object, err)
				}
				return fmt.Errorf("creating Hotplug %s: %w", object, err)
			}
			res.Created, res.Added, res.Changed, res.Generation = true, true, true, hp.Generation
			return nil
		case err != nil:
			return fmt.Errorf("reading Hotplug %s: %w", object, err)
		}
		res.Added, res.Changed = Set(hp, component, status)
		if !res.Changed {
			res.Generation = hp.Generation
			return nil
		}
		if err := c.Update(ctx, hp); err != nil {
			if apierrors.IsConflict(err) {
				return err
			}
			return fmt.Errorf("updating Hotplug %s: %w", object, err)
		}
		res.Generation = hp.Generation
		return nil
	})
	if err != nil {
		return res, err
	}
	if object == hotplugv1.CommonName {
		res.Overrides, err = overrides(ctx, c, component)
	}
	return res, err
}

// Set sets component's status in hp's spec, adding the component with its
// name and status only when hp does not list it (everything else then
// still comes from common). It reports whether it added the component and
// whether hp changed. Pure: Switch's edit, and the fleet view's preview of
// it.
func Set(hp *hotplugv1.Hotplug, component, status string) (added, changed bool) {
	added = true
	for i := range hp.Spec.Component {
		if hp.Spec.Component[i].Name == component {
			added = false
			changed = changed || hp.Spec.Component[i].Status != status
			hp.Spec.Component[i].Status = status
		}
	}
	if added {
		hp.Spec.Component = append(hp.Spec.Component, hotplugv1.ComponentSpec{Name: component, Status: status})
		changed = true
	}
	return added, changed
}

// overrides lists the Hotplugs other than common that set component's status.
func overrides(ctx context.Context, c client.Reader, component string) ([]string, error) {
	var list hotplugv1.HotplugList
	if err := c.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing Hotplugs: %w", err)
	}
	var out []string
	for _, hp := range list.Items {
		if hp.Name == hotplugv1.CommonName {
			continue
		}
		for _, cs := range hp.Spec.Component {
			if cs.Name == component && cs.Status != "" {
				out = append(out, fmt.Sprintf("%s (status: %s)", hp.Name, cs.Status))
			}
		}
	}
	return out, nil
}
