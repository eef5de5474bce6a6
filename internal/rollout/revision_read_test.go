package rollout

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

// secretReader answers GETs of Secrets from secrets (err when set) and
// counts them.
type secretReader struct {
	client.Reader
	secrets map[string]*corev1.Secret
	err     error
	gets    int
}

func (r *secretReader) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	r.gets++
	if r.err != nil {
		return r.err
	}
	s, ok := r.secrets[key.Name]
	if !ok {
		return apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, key.Name)
	}
	s.DeepCopyInto(obj.(*corev1.Secret))
	return nil
}

func TestRevisionReader(t *testing.T) {
	spec := hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "mon", Env: "level: 3"}}}
	s, ref, err := EncodeSecret(DefaultNamespace, Revision{Number: 3, Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	tampered := s.DeepCopy()
	tampered.Data[SpecKey] = []byte(`{"component":[{"name":"mon","env":"level: evil"}]}`)
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, s.Name, errors.New("RBAC"))
	cases := []struct {
		name    string
		reader  *secretReader
		wantEnv string
		detail  string
	}{
		{"read and verified", &secretReader{secrets: map[string]*corev1.Secret{s.Name: s}}, "level: 3", ""},
		{"missing", &secretReader{}, "", "is missing"},
		{"forbidden", &secretReader{err: forbidden}, "", "RoleBinding to the Role " + ReaderRole},
		{"tampered", &secretReader{secrets: map[string]*corev1.Secret{s.Name: tampered}}, "", "does not match the digest"},
		{"unanswered", &secretReader{err: errors.New("connection refused")}, "", "connection refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r RevisionReader
			a := r.Resolve(context.Background(), c.reader, DefaultNamespace, AssignmentRead{Ref: &ref, Detail: "not read"})
			if c.wantEnv != "" {
				if a.Revision == nil || a.Revision.Spec.Component[0].Env != c.wantEnv || a.Detail != "" {
					t.Fatalf("got %+v", a)
				}
				// Held: read once per revision.
				a.Revision.Spec.Component[0].Env = "changed by the caller"
				again := r.Resolve(context.Background(), c.reader, DefaultNamespace, AssignmentRead{Ref: &ref})
				if c.reader.gets != 1 || again.Revision.Spec.Component[0].Env != c.wantEnv {
					t.Errorf("second resolve: %d GETs, env %q", c.reader.gets, again.Revision.Spec.Component[0].Env)
				}
				return
			}
			if a.Revision != nil || !strings.Contains(a.Detail, c.detail) {
				t.Fatalf("got revision %v, detail %q; want detail with %q", a.Revision, a.Detail, c.detail)
			}
			if c.name != "tampered" && !strings.Contains(a.Detail, s.Name) {
				t.Errorf("detail %q does not name the Secret", a.Detail)
			}
		})
	}
}
