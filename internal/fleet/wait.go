package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// Applied reports whether the status of hp shows that the agent applied
// generation with component switched on (enable) or off, and a sentence
// about where things stand. It is pure.
//
// Applied means: status.observedGeneration >= generation, and the
// component's Ready condition, computed for that generation, is True for
// the awaited reason: Deployed (enable: the release runs), Disabled
// (disable: no release), or FeatureSwitch with the awaited switch (a
// component without a package). Messages are only shown, never matched.
func Applied(hp *hotplugv1.Hotplug, component string, enable bool, generation int64) (bool, string) {
	if hp.Status.ObservedGeneration < generation {
		return false, fmt.Sprintf("waiting for the agent to see generation %d of Hotplug %s (status is for %d)", generation, hp.Name, hp.Status.ObservedGeneration)
	}
	cs, found := componentStatus(hp, component)
	if !found {
		return false, fmt.Sprintf("%s: not yet in the status of Hotplug %s", component, hp.Name)
	}
	why := fmt.Sprintf("%s: %s", component, cs.Message)
	c := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
	switch {
	case c == nil:
		return false, why + " (no Ready condition yet)"
	case c.ObservedGeneration < generation:
		return false, why + fmt.Sprintf(" (Ready condition is for generation %d)", c.ObservedGeneration)
	case c.Status != metav1.ConditionTrue:
		return false, why
	}
	want := hotplugv1.ReasonDisabled
	if enable {
		want = hotplugv1.ReasonDeployed
	}
	ok := c.Reason == want || (c.Reason == hotplugv1.ReasonFeatureSwitch && cs.Enabled == enable)
	return ok, why
}

// componentStatus finds component in hp's structured status.
func componentStatus(hp *hotplugv1.Hotplug, component string) (hotplugv1.ComponentStatus, bool) {
	for _, cs := range hp.Status.Components {
		if cs.Name == component {
			return cs, true
		}
	}
	return hotplugv1.ComponentStatus{}, false
}

// ErrInvalidConfig is wrapped when the agent refused the configuration: it
// will not retry until the object is edited, so waiting is pointless.
var ErrInvalidConfig = errors.New("the agent rejected the configuration")

// WaitApplied polls the Hotplug named object every interval until Applied
// holds, ctx ends, the object is deleted, or the agent reports the component's configuration
// invalid for the awaited generation. progress receives each new sentence.
// On timeout the error includes the last sentence, which says what the
// agent was doing.
func WaitApplied(ctx context.Context, c client.Reader, object, component string, enable bool, generation int64, interval time.Duration, progress func(string)) error {
	last := ""
	for {
		hp := &hotplugv1.Hotplug{}
		err := c.Get(ctx, client.ObjectKey{Name: object}, hp)
		var ok bool
		var why string
		switch {
		case apierrors.IsNotFound(err):
			return fmt.Errorf("hotplug %s was deleted while waiting: %w", object, err)
		case err != nil:
			// A failed read (API server restarting, a client-side deadline
			// just before ours) is reported and retried until the timeout.
			why = fmt.Sprintf("reading Hotplug %s: %v; retrying", object, err)
		default:
			ok, why = Applied(hp, component, enable, generation)
		}
		if why != last {
			last = why
			progress(why)
		}
		if ok {
			return nil
		}
		if err == nil && invalid(hp, component, generation) {
			return fmt.Errorf("%w: %s; fix Hotplug %s and try again", ErrInvalidConfig, why, object)
		}
		select {
		case <-ctx.Done():
			return timeoutErr(ctx, object, last)
		case <-time.After(interval):
		}
	}
}

// invalid tells whether the agent's Ready condition for component, for the
// awaited generation, says the configuration is invalid.
func invalid(hp *hotplugv1.Hotplug, component string, generation int64) bool {
	for _, cs := range hp.Status.Components {
		if cs.Name != component {
			continue
		}
		c := meta.FindStatusCondition(cs.Conditions, hotplugv1.ConditionReady)
		return c != nil && c.Reason == hotplugv1.ReasonInvalidConfig && c.ObservedGeneration >= generation
	}
	return false
}

func timeoutErr(ctx context.Context, object, last string) error {
	return fmt.Errorf("gave up waiting for the agent to apply Hotplug %s (%w); last status: %s; the change is saved and will still be applied: check the agent (hotplug status, its logs) or wait longer with --timeout",
		object, context.Cause(ctx), last)
}
