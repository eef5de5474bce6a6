package rollout

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// RevisionReader reads the content of the revision an assignment names:
// one live GET of its Secret by name (the member may read exactly the
// retained revision Secrets, and a cache would have to list them), checked
// against the assignment's digest and kept in memory by name and digest,
// since a revision's content never changes. The zero value is ready.
type RevisionReader struct {
	mu   sync.Mutex
	held map[Ref]Revision
}

// maxHeldRevisions bounds the revisions kept in memory: the one run and
// the one being moved to, with room for an undo.
const maxHeldRevisions = 4

// Resolve returns a with Revision set to the content its Ref names, read
// from namespace through reader unless held; a that names no Ref (or was
// not read) is returned as it is. A content that cannot be read leaves
// Revision unset and says why.
func (r *RevisionReader) Resolve(ctx context.Context, reader client.Reader, namespace string, a AssignmentRead) AssignmentRead {
	if a.Ref == nil || a.Revision != nil {
		return a
	}
	r.mu.Lock()
	rev, ok := r.held[*a.Ref]
	r.mu.Unlock()
	if ok {
		a.Revision = &Revision{Number: rev.Number, Spec: *rev.Spec.DeepCopy()}
		return a
	}
	s := &corev1.Secret{}
	err := reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: a.Ref.Secret}, s)
	a = ClassifyRevision(namespace, a, s, err)
	if a.Revision != nil {
		r.mu.Lock()
		if r.held == nil || len(r.held) >= maxHeldRevisions {
			r.held = map[Ref]Revision{}
		}
		r.held[*a.Ref] = Revision{Number: a.Revision.Number, Spec: *a.Revision.Spec.DeepCopy()}
		r.mu.Unlock()
	}
	return a
}

// ClassifyRevision turns the answer of a GET of the revision Secret a.Ref
// names (in namespace) into a with Revision set, or unset and why: missing,
// forbidden, unanswered, not a revision Secret, or not matching the
// assignment's digest or number.
func ClassifyRevision(namespace string, a AssignmentRead, s *corev1.Secret, err error) AssignmentRead {
	where := fmt.Sprintf("the revision Secret %s/%s that the assignment names (revision %d)", namespace, a.Ref.Secret, a.Ref.Number)
	switch {
	case err == nil && s == nil:
		a.Detail = "the pivot answered without " + where + " and without an error"
	case err == nil:
		rev, derr := DecodeSecret(s, *a.Ref)
		if derr != nil {
			a.Detail = derr.Error()
			break
		}
		a.Revision, a.Detail = &rev, ""
	case apierrors.IsNotFound(err):
		a.Detail = where + " is missing"
	case apierrors.IsForbidden(err):
		a.Detail = "reading " + where + " is forbidden (the member's identity needs its RoleBinding to the Role " +
			ReaderRole + "): " + err.Error()
	default:
		a.Detail = "reading " + where + ": " + err.Error()
	}
	a.Detail = limits.Message(a.Detail, limits.MaxMessageBytes/2)
	return a
}
