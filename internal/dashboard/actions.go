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
	"github.com/kubecube-io/hotplug/internal/toggle"
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

// Switch implements Actions with toggle.Switch (a dry run through a
// dry-run client: the API server and the webhook check, nothing is kept,
// and the message adds what the cluster's agent will then do, as
// `hotplug diff` would say it: switchPlan).
func (a ClientActions) Switch(ctx context.Context, cluster, component, status string, dryRun bool) (string, error) {
	c := a.Client
	if dryRun {
		c = client.NewDryRunClient(c)
	}
	res, err := toggle.Switch(ctx, c, cluster, component, status)
	if err != nil {
		return "", apiError(err)
	}
	msg := switchMessage(res, component, status, dryRun)
	if !dryRun || !res.Changed {
		return msg, nil
	}
	plan, err := previewSwitch(ctx, a.Client, cluster, component, status)
	if err != nil {
		return "", apiError(err)
	}
	return msg + "\n" + plan, nil
}

// switchMessage says what a switch changes (dry run) or changed.
func switchMessage(res toggle.SwitchResult, component, status string, dryRun bool) string {
	will := func(dry, done string) string {
		if dryRun {
			return dry
		}
		return done
	}
	switch {
	case !res.Changed:
		return fmt.Sprintf("Hotplug %s already sets %s to %s: nothing to change", res.Object, component, status)
	case res.Created:
		return fmt.Sprintf("Hotplug %s %s with %s set to %s (everything else still comes from common)", res.Object,
			will("does not exist: it will be created", "created"), component, status)
	case res.Added:
		return fmt.Sprintf("%s %s to Hotplug %s with status %s (everything else still comes from common)", component,
			will("will be added", "added"), res.Object, status)
	}
	return fmt.Sprintf("Hotplug %s: %s %s %s", res.Object, component, will("will be set to", "set to"), status)
}

// Allowed implements Actions with SelfSubjectAccessReviews: pause and
// resume patch common, undo updates it, a switch updates (or creates) a
// cluster's Hotplug.
func (a ClientActions) Allowed(ctx context.Context) map[string]bool {
	return allowed(func(access Access) bool {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: access.Verb, Group: access.Group,
				Resource: access.Resource, Name: access.Name}}}
		return a.Client.Create(ctx, review) == nil && review.Status.Allowed
	})
}

// allowed asks can for what each action takes.
func allowed(can func(Access) bool) map[string]bool {
	on := func(verb, name string) Access {
		return Access{Verb: verb, Group: hotplugv1.GroupVersion.Group, Resource: "hotplugs", Name: name}
	}
	patch := can(on("patch", hotplugv1.CommonName))
	return map[string]bool{"pause": patch, "resume": patch, "undo": can(on("update", hotplugv1.CommonName)),
		"switch": can(on("update", "")) && can(on("create", ""))}
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
