package rollout

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// assignmentData is an assignment's data, the same for every assignment:
// the Ref is in its annotations and revision, which (unlike the data) may
// change, so moving a cluster to another revision is one patch. Its
// `component` is not a list, so that an agent from before revisions moved
// to Secrets fails to decode it as a spec and keeps the revision it runs
// (instead of running an empty spec) until it is upgraded.
var assignmentData = []byte(`{"component":"this assignment names a revision Secret in its annotations; this agent is older than the hub, upgrade it"}`)

// EncodeAssignment returns cluster's assignment of ref in namespace: the
// ControllerRevision AssignmentName(cluster), whose size does not depend on
// the revision's content.
func EncodeAssignment(namespace, cluster string, ref Ref) *appsv1.ControllerRevision {
	labels := map[string]string{RoleLabel: RoleAssignment, "app.kubernetes.io/part-of": "hotplug"}
	if cluster != "" && len(cluster) <= 63 {
		labels[ClusterLabel] = cluster
	}
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: AssignmentName(cluster), Labels: labels,
			Annotations: refAnnotations(ref)},
		Data:     runtime.RawExtension{Raw: append([]byte(nil), assignmentData...)},
		Revision: ref.Number,
	}
}

// Assignment is what an assignment ControllerRevision says: a Ref, or
// (written before revisions moved to Secrets) the Legacy full revision.
// Exactly one is set.
type Assignment struct {
	Ref    *Ref
	Legacy *Revision
}

// Number is the assigned revision.
func (a Assignment) Number() int64 {
	if a.Ref != nil {
		return a.Ref.Number
	}
	if a.Legacy != nil {
		return a.Legacy.Number
	}
	return 0
}

// DecodeAssignment reads cr: a Ref when its annotations hold one (and its
// revision agrees), else the full spec of the older format; anything else is an error
// naming cr.
func DecodeAssignment(cr *appsv1.ControllerRevision) (Assignment, error) {
	if ref, ok := RefOf(cr.Annotations); ok {
		if cr.Revision != ref.Number {
			return Assignment{}, fmt.Errorf("ControllerRevision %s/%s: its revision %d and its annotation %s (%d) differ",
				cr.Namespace, cr.Name, cr.Revision, AnnotationRevision, ref.Number)
		}
		return Assignment{Ref: &ref}, nil
	}
	rev, err := Decode(cr)
	if err != nil {
		return Assignment{}, err
	}
	return Assignment{Legacy: &rev}, nil
}
