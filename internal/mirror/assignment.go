package mirror

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// Assignment is one read of the cluster's assignment on the pivot (the
// ControllerRevision rollout.AssignmentName(cluster)): the revision of
// `common` the hub says the cluster must run now.
type Assignment struct {
	// Revision is set when the read found the assignment and its content:
	// the spec it holds (older format) or, for one naming a revision
	// Secret, once RevisionReader.Resolve read that.
	Revision *rollout.Revision
	// Ref is the revision Secret the assignment names; nil for the older
	// format that holds the spec itself.
	Ref *rollout.Ref
	// Detail says why Revision is not set, bounded.
	Detail string
}

// ClassifyAssignment turns the answer of a GET of the assignment called
// name into an Assignment. Only an object of that very name naming a
// revision Secret (Ref set; its content is still to be read) or holding a
// decodable spec (older format), with a positive revision, counts; anything
// else (NotFound, Forbidden, no answer, another object, an undecodable one)
// leaves Revision and Ref unset and says why.
func ClassifyAssignment(name string, cr *appsv1.ControllerRevision, err error) Assignment {
	var a Assignment
	switch {
	case err == nil && cr == nil:
		a.Detail = "the pivot answered without the assignment and without an error"
	case err == nil && cr.Name != name:
		a.Detail = fmt.Sprintf("the pivot answered with ControllerRevision %q", cr.Name)
	case err == nil && cr.Revision <= 0:
		a.Detail = fmt.Sprintf("ControllerRevision %s/%s holds no revision number", cr.Namespace, cr.Name)
	case err == nil:
		got, derr := rollout.DecodeAssignment(cr)
		switch {
		case derr != nil:
			a.Detail = derr.Error()
		case got.Ref != nil:
			a.Ref = got.Ref
			a.Detail = fmt.Sprintf("the content of revision %d (Secret %s/%s) was not read", got.Ref.Number, cr.Namespace, got.Ref.Secret)
		default:
			a.Revision = got.Legacy
		}
	case apierrors.IsNotFound(err):
		a.Detail = "no assignment yet: the hub has not assigned a revision of common to this cluster (" + name + ")"
	case apierrors.IsForbidden(err):
		a.Detail = "reading the assignment " + name + " is forbidden: " + err.Error()
	default:
		a.Detail = "reading the assignment " + name + ": " + err.Error()
	}
	a.Detail = limits.Message(a.Detail, limits.MaxMessageBytes/2)
	return a
}

// desiredMirror returns the mirror that a present source calls for, or nil
// and why the current mirror must stay exactly as it is. When `common` is
// Progressive its spec comes from the cluster's assignment (asg; nil when
// not read) and the source generation names the assigned revision; labels
// and annotations still come from `common` itself. Any other source, or a
// `common` that is not Progressive, is mirrored as it is.
func desiredMirror(obs Observation, asg *Assignment) (*hotplugv1.Hotplug, string) {
	if obs.Object == nil {
		return nil, "no source object to mirror"
	}
	want := Desired(obs.Object)
	if obs.Name != hotplugv1.CommonName || !rollout.Progressive(obs.Object) {
		return want, ""
	}
	switch {
	case asg == nil:
		return nil, "common is Progressive and the assignment was not read"
	case asg.Revision == nil:
		return nil, asg.Detail
	}
	want.Spec = *asg.Revision.Spec.DeepCopy()
	want.Annotations[hotplugv1.SourceGenerationAnnotation] = fmt.Sprint(asg.Revision.Number)
	return want, ""
}
