package crds

import (
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// bound is a limit a CRD's marker must state: at path in kind's schema.
type bound struct {
	kind, path string
	want       int
}

// TestCRDLimits checks that the CRDs' markers say what internal/limits
// says: the writers of a status (agent, reporter, hub) fit what they write
// to these constants, so a marker below its constant would make the API
// server refuse a legitimate status.
func TestCRDLimits(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*apiextensionsv1.JSONSchemaProps{}
	for _, c := range all {
		schemas[c.Spec.Names.Kind] = c.Spec.Versions[0].Schema.OpenAPIV3Schema
	}
	at := func(kind, path string) *apiextensionsv1.JSONSchemaProps {
		s := schemas[kind]
		for _, p := range strings.Split(path, ".") {
			if s == nil {
				break
			}
			if p == "[]" {
				s = s.Items.Schema
				continue
			}
			next, ok := s.Properties[p]
			if !ok {
				t.Fatalf("%s: no field %s in %s", kind, p, path)
			}
			s = &next
		}
		return s
	}
	items := []bound{
		{"Hotplug", "spec.component", limits.MaxComponents},
		{"Hotplug", "status.components", limits.MaxStatusComponents},
		{"Cluster", "status.components", limits.MaxStatusComponents},
		{"Hotplug", "status.conditions", limits.MaxStatusConditions},
		{"Cluster", "status.conditions", limits.MaxStatusConditions},
		{"Cluster", "status.components.[].conditions", limits.MaxStatusConditions},
		{"Hotplug", "status.components.[].conditions", limits.MaxStatusConditions},
		{"Hotplug", "status.rollout.clusters", limits.MaxRolloutClusters},
		{"Hotplug", "status.rollout.updatedClusters", limits.MaxRolloutClusters},
		{"Hotplug", "status.rollout.pendingClusters", limits.MaxRolloutClusters},
		{"Hotplug", "status.rollout.failedClusters", limits.MaxRolloutClusters},
	}
	for _, it := range items {
		if s := at(it.kind, it.path); s == nil || s.MaxItems == nil || *s.MaxItems != int64(it.want) {
			t.Errorf("%s %s: maxItems %v, want %d", it.kind, it.path, s.MaxItems, it.want)
		}
	}
	lengths := []bound{
		{"Hotplug", "status.message", limits.MaxStatusMessageBytes},
		{"Cluster", "status.reason", limits.MaxMessageBytes},
		{"Hotplug", "status.rollout.message", limits.MaxMessageBytes},
		{"Hotplug", "status.rollout.clusters.[].reason", limits.MaxMessageBytes},
		{"Hotplug", "status.rollout.failedClusters.[].reason", limits.MaxMessageBytes},
	}
	for _, kind := range []string{"Hotplug", "Cluster"} {
		lengths = append(lengths,
			bound{kind, "status.components.[].message", limits.MaxMessageBytes},
			bound{kind, "status.components.[].lastDriftRepair.message", limits.MaxMessageBytes})
		for _, f := range []string{"pkgName", "chart", "chartVersion", "chartDigest", "valuesDigest"} {
			lengths = append(lengths, bound{kind, "status.components.[]." + f, limits.MaxStatusNameBytes})
		}
	}
	for _, it := range lengths {
		if s := at(it.kind, it.path); s == nil || s.MaxLength == nil || *s.MaxLength != int64(it.want) {
			t.Errorf("%s %s: maxLength %v, want %d", it.kind, it.path, s.MaxLength, it.want)
		}
	}
}
