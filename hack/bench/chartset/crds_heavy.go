package chartset

import (
	"fmt"
	"strings"
)

// HeavyCRD is one CRD of the heavy monitoring chart and the size of its
// file.
type HeavyCRD struct {
	// Kind is the CRD's kind in CRDGroup.
	Kind string
	// Bytes is the size of the CRD's YAML file (the generator stops at the
	// first top-level field past it).
	Bytes int
}

// HeavyCRDs are the heavy monitoring chart's CRDs with the sizes of the
// real chart's files where issue 21 gives them (prometheuses 328 KB,
// thanosrulers 254 KB, alertmanagers 247 KB, alertmanagerconfigs 122 KB,
// the smallest 3.8 KB: prometheusrules); the other five are sized so that
// the ten come to about 1.3 MB, as the real ones do.
var HeavyCRDs = []HeavyCRD{
	{"Prometheus", 328 << 10},
	{"ThanosRuler", 254 << 10},
	{"Alertmanager", 247 << 10},
	{"AlertmanagerConfig", 122 << 10},
	{"PrometheusAgent", 110 << 10},
	{"ServiceMonitor", 70 << 10},
	{"PodMonitor", 62 << 10},
	{"Probe", 55 << 10},
	{"ScrapeConfig", 48 << 10},
	{"PrometheusRule", 3900},
}

// heavyCRD returns the CRD of kind in CRDGroup with a generated schema
// whose file is about size bytes: a spec of nested documented fields (the
// custom resources' own fields kept by x-kubernetes-preserve-unknown-fields)
// and a status.
func heavyCRD(kind string, size int) string {
	plural := pluralOf(kind)
	head := fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  annotations:
    controller-gen.kubebuilder.io/version: v0.4.1
  name: %s.%s
spec:
  group: %s
  names:
    categories:
    - prometheus-operator
    kind: %s
    listKind: %sList
    plural: %s
    singular: %s
  scope: Namespaced
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        description: %s defines a monitoring object of the bench chart; its schema has the size and shape of the prometheus-operator's.
        properties:
          apiVersion:
            description: APIVersion defines the versioned schema of this representation of an object.
            type: string
          kind:
            description: Kind is a string value representing the REST resource this object represents.
            type: string
          metadata:
            type: object
          spec:
            description: Specification of the desired behavior of the %s.
            properties:
`, plural, CRDGroup, CRDGroup, kind, kind, plural, strings.ToLower(kind), kind, kind)
	tail := `            type: object
            x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
        required:
        - spec
        type: object
    served: true
    storage: true
    subresources:
      status: {}
`
	g := newSchemaGen(kind)
	var body strings.Builder
	used := map[string]bool{}
	for len(head)+body.Len()+len(tail) < size {
		left := size - len(head) - body.Len() - len(tail)
		name := g.fieldName(used)
		var field strings.Builder
		fmt.Fprintf(&field, "              %s:\n", name)
		g.child(4, min(left, 2000+g.rnd.IntN(30000))).render(&field, 16)
		if field.Len() > left+left/8+200 {
			// Too large for what is left: a documented string instead.
			field.Reset()
			fmt.Fprintf(&field, "              %s:\n", name)
			(&schemaNode{typ: "string", desc: g.sentence()}).render(&field, 16)
		}
		body.WriteString(field.String())
	}
	return head + body.String() + tail
}

// pluralOf is the lower-case plural of a kind.
func pluralOf(kind string) string {
	if strings.HasSuffix(kind, "s") {
		return strings.ToLower(kind) + "es"
	}
	return strings.ToLower(kind) + "s"
}
