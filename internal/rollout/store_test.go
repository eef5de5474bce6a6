package rollout

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
)

func specWithEnv(env string) hotplugv1.HotplugSpec {
	return hotplugv1.HotplugSpec{Component: []hotplugv1.ComponentSpec{{Name: "mon", Status: hotplugv1.StatusEnabled, Env: env}}}
}

func TestSecretRoundTrip(t *testing.T) {
	s, ref, err := EncodeSecret("ns", Revision{Number: 7, Spec: specWithEnv("level: 7")})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != HistoryName(7) || s.Type != SecretType || s.Immutable == nil || !*s.Immutable || ref.Secret != s.Name {
		t.Fatalf("secret %s type %s immutable %v ref %+v", s.Name, s.Type, s.Immutable, ref)
	}
	if got, ok := RefOf(s.Annotations); !ok || got != ref {
		t.Fatalf("RefOf(annotations) = %+v, %v; want %+v", got, ok, ref)
	}
	mutate := func(f func(*corev1.Secret)) *corev1.Secret { c := s.DeepCopy(); f(c); return c }
	cases := []struct {
		name   string
		secret *corev1.Secret
		want   Ref
		errHas string
	}{
		{"matches", s, ref, ""},
		{"no digest asked", s, Ref{}, ""},
		{"another type", mutate(func(c *corev1.Secret) { c.Type = corev1.SecretTypeOpaque }), ref, "not a revision of common"},
		{"no spec", mutate(func(c *corev1.Secret) { delete(c.Data, SpecKey) }), ref, `holds no "spec" key`},
		{"other content", mutate(func(c *corev1.Secret) { c.Data[SpecKey] = []byte(`{"component":[]}`) }), ref, "does not match the digest"},
		{"other number", s, Ref{Number: 8, Digest: ref.Digest}, "holds revision 7, not 8"},
		{"no number", mutate(func(c *corev1.Secret) { delete(c.Annotations, AnnotationRevision) }), ref, "not a revision number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rev, err := DecodeSecret(c.secret, c.want)
			if c.errHas == "" {
				if err != nil || rev.Number != 7 || rev.Spec.Component[0].Env != "level: 7" {
					t.Fatalf("got %+v, %v", rev, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.errHas) || !strings.Contains(err.Error(), "Secret ns/"+HistoryName(7)) {
				t.Fatalf("err = %v, want one naming the Secret and %q", err, c.errHas)
			}
		})
	}
}

func TestAssignmentCarriesNoContent(t *testing.T) {
	small, refSmall, _ := EncodeSecret("ns", Revision{Number: 3, Spec: specWithEnv("a: 1")})
	big, refBig, _ := EncodeSecret("ns", Revision{Number: 3, Spec: specWithEnv("a: " + strings.Repeat("x", 200<<10))})
	if len(big.Data[SpecKey]) < 200<<10 || small == nil {
		t.Fatal("setup")
	}
	a, b := EncodeAssignment("ns", "m1", refSmall), EncodeAssignment("ns", "m1", refBig)
	if len(a.Data.Raw) != len(b.Data.Raw) || len(b.Data.Raw) > 256 {
		t.Errorf("assignment data %d vs %d bytes: must not depend on the content", len(a.Data.Raw), len(b.Data.Raw))
	}
	got, err := DecodeAssignment(b)
	if err != nil || got.Ref == nil || *got.Ref != refBig || got.Legacy != nil || got.Number() != 3 {
		t.Fatalf("DecodeAssignment = %+v, %v", got, err)
	}
	// An agent from before reads it as a spec and must fail, not run an
	// empty spec.
	if _, err := Decode(b); err == nil {
		t.Error("the older Decode accepts an assignment that names a Secret")
	}
	b.Revision = 4
	if _, err := DecodeAssignment(b); err == nil || !strings.Contains(err.Error(), "ControllerRevision ns/"+AssignmentName("m1")) {
		t.Errorf("revision and annotation disagree: %v", err)
	}
}

func TestDecodeAssignmentOlderFormat(t *testing.T) {
	cr, err := Encode("ns", AssignmentName("m1"), RoleAssignment, "m1", Revision{Number: 5, Spec: specWithEnv("level: 5")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeAssignment(cr)
	if err != nil || got.Ref != nil || got.Legacy == nil || got.Number() != 5 || got.Legacy.Spec.Component[0].Env != "level: 5" {
		t.Fatalf("DecodeAssignment(older) = %+v, %v", got, err)
	}
	cr.Data.Raw = nil
	if _, err := DecodeAssignment(cr); err == nil {
		t.Error("an empty assignment decodes")
	}
}

func TestHistoryNumber(t *testing.T) {
	for name, want := range map[string]int64{HistoryName(1): 1, HistoryName(42): 42, "hotplug-common-r0": 0,
		"hotplug-common-r-1": 0, "hotplug-common-r01": 0, "hotplug-common-for-x": 0, "other": 0} {
		n, ok := HistoryNumber(name)
		if n != want && ok || ok != (want != 0) {
			t.Errorf("HistoryNumber(%q) = %d, %v; want %d", name, n, ok, want)
		}
	}
}

func TestPruneKeepsAssigned(t *testing.T) {
	var revs []int64
	for i := int64(1); i <= 20; i++ {
		revs = append(revs, i)
	}
	got := Prune(revs, 2, 20, 4, 5)
	for _, r := range got {
		if r == 2 || r == 4 || r == 5 || r > 10 {
			t.Errorf("pruned %d", r)
		}
	}
	if len(got) != 20-HistoryKept-3 {
		t.Errorf("pruned %v", got)
	}
}
