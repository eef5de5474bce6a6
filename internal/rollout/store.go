package rollout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The content of every revision of `common` lives in a Secret of the hub's
// namespace: the built-in `view` ClusterRole reads ControllerRevisions and
// ConfigMaps but never Secrets, and common's spec carries Helm values.
const (
	// SecretType is the type of a revision Secret: a field selector on it
	// and a check on read keep every other Secret out.
	SecretType corev1.SecretType = "hotplug.kubecube.io/common-revision"
	// SpecKey is the data key holding the JSON of common's spec.
	SpecKey = "spec"
	// AnnotationRevision is the revision number, on a revision Secret and on
	// an assignment, so that metadata-only reads see it.
	AnnotationRevision = "hotplug.kubecube.io/revision"
	// AnnotationDigest is the sha256 (hex) of a revision Secret's SpecKey
	// bytes: a member verifies what it read against the one its
	// assignment names.
	AnnotationDigest = "hotplug.kubecube.io/digest"
	// AnnotationContentDigest is ContentDigest of the revision's spec, what
	// the rollout decision compares.
	AnnotationContentDigest = "hotplug.kubecube.io/content-digest"
	// AnnotationSecret names the revision Secret an assignment points at.
	AnnotationSecret = "hotplug.kubecube.io/revision-secret"
	// ReaderRole is the Role in the hub's namespace that the hub keeps
	// granting `get` on exactly the revision Secrets it retains; each
	// member's RoleBinding (access.RevisionsOnPivot) refers to it.
	ReaderRole = "hotplug-common-revisions"
)

// Ref names the content of one revision: what an assignment carries
// instead of the content itself.
type Ref struct {
	Number int64
	// Secret is the revision Secret's name (HistoryName(Number)).
	Secret string
	// Digest is the sha256 of the Secret's SpecKey bytes.
	Digest string
	// ContentDigest is ContentDigest of the spec.
	ContentDigest string
}

func digestOf(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// EncodeSecret returns the immutable revision Secret of rev in namespace,
// and the Ref naming it.
func EncodeSecret(namespace string, rev Revision) (*corev1.Secret, Ref, error) {
	raw, err := json.Marshal(rev.Spec)
	if err != nil {
		return nil, Ref{}, fmt.Errorf("encoding revision %d of common: %w", rev.Number, err)
	}
	ref := Ref{Number: rev.Number, Secret: HistoryName(rev.Number), Digest: digestOf(raw), ContentDigest: ContentDigest(rev.Spec)}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: ref.Secret,
			Labels:      map[string]string{RoleLabel: RoleHistory, "app.kubernetes.io/part-of": "hotplug"},
			Annotations: refAnnotations(ref)},
		Type:      SecretType,
		Immutable: ptr.To(true),
		Data:      map[string][]byte{SpecKey: raw},
	}, ref, nil
}

// DecodeSecret reads the revision held by s and checks it against want
// (when want.Digest is set): a Secret of another type, without the spec,
// or whose bytes do not match the digest is an error naming it.
func DecodeSecret(s *corev1.Secret, want Ref) (Revision, error) {
	where := fmt.Sprintf("Secret %s/%s", s.Namespace, s.Name)
	if s.Type != SecretType {
		return Revision{}, fmt.Errorf("%s is of type %q, not a revision of common (%s)", where, s.Type, SecretType)
	}
	raw, ok := s.Data[SpecKey]
	if !ok {
		return Revision{}, fmt.Errorf("%s holds no %q key", where, SpecKey)
	}
	if want.Digest != "" && digestOf(raw) != want.Digest {
		return Revision{}, fmt.Errorf("%s: its content does not match the digest the assignment names (%.12s)", where, want.Digest)
	}
	number, err := strconv.ParseInt(s.Annotations[AnnotationRevision], 10, 64)
	if err != nil || number <= 0 {
		return Revision{}, fmt.Errorf("%s: annotation %s is not a revision number", where, AnnotationRevision)
	}
	if want.Number != 0 && number != want.Number {
		return Revision{}, fmt.Errorf("%s holds revision %d, not %d", where, number, want.Number)
	}
	rev := Revision{Number: number}
	if err := json.Unmarshal(raw, &rev.Spec); err != nil {
		return Revision{}, fmt.Errorf("%s: decoding the spec of common: %w", where, err)
	}
	return rev, nil
}

// RefOf reads the Ref from the annotations of a revision Secret or an
// assignment (metadata only); ok is false when they do not hold one (an
// object written before revisions moved to Secrets).
func RefOf(annotations map[string]string) (Ref, bool) {
	n, err := strconv.ParseInt(annotations[AnnotationRevision], 10, 64)
	ref := Ref{Number: n, Secret: annotations[AnnotationSecret], Digest: annotations[AnnotationDigest],
		ContentDigest: annotations[AnnotationContentDigest]}
	if err != nil || n <= 0 || ref.Secret != HistoryName(n) || ref.Digest == "" || ref.ContentDigest == "" {
		return Ref{}, false
	}
	return ref, true
}

func refAnnotations(ref Ref) map[string]string {
	return map[string]string{AnnotationRevision: strconv.FormatInt(ref.Number, 10), AnnotationSecret: ref.Secret,
		AnnotationDigest: ref.Digest, AnnotationContentDigest: ref.ContentDigest}
}
