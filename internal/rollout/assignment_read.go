package rollout

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// AssignmentRead is one read of the cluster's assignment on the pivot (the
// ControllerRevision AssignmentName(cluster)): the revision of `common` the
// hub says the cluster must run now, or why it is not known. Both the
// member's mirror and the pivot's own agent read their assignment into it.
type AssignmentRead struct {
	// Revision is set when the read found the assignment and its content:
	// the spec it holds (older format) or, for one naming a revision
	// Secret, once RevisionReader.Resolve read that.
	Revision *Revision
	// Ref is the revision Secret the assignment names; nil for the older
	// format that holds the spec itself.
	Ref *Ref
	// Detail says why Revision is not set, bounded.
	Detail string
}

// ClassifyAssignment turns the answer of a GET of the assignment called
// name into an AssignmentRead. Only an object of that very name naming a
// revision Secret (Ref set; its content is still to be read) or holding a
// decodable spec (older format), with a positive revision, counts; anything
// else (NotFound, Forbidden, no answer, another object, an undecodable one)
// leaves Revision and Ref unset and says why.
func ClassifyAssignment(name string, cr *appsv1.ControllerRevision, err error) AssignmentRead {
	var a AssignmentRead
	switch {
	case err == nil && cr == nil:
		a.Detail = "the pivot answered without the assignment and without an error"
	case err == nil && cr.Name != name:
		a.Detail = fmt.Sprintf("the pivot answered with ControllerRevision %q", cr.Name)
	case err == nil && cr.Revision <= 0:
		a.Detail = fmt.Sprintf("ControllerRevision %s/%s holds no revision number", cr.Namespace, cr.Name)
	case err == nil:
		got, derr := DecodeAssignment(cr)
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
