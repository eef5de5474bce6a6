package helm

import (
	"helm.sh/helm/v4/pkg/kube"
	"k8s.io/kubectl/pkg/validation"
)

// serverValidated is Helm's kube Factory without client-side schema
// checks. kubectl's validator does no check of its own against a server
// that validates fields itself (every supported one): it only asks whether
// the server can, by fetching and parsing the OpenAPI v3 document of each
// group version in a manifest, afresh for every action and hook (Helm
// builds hooks with validation on whatever the action says). That was most
// of an install's CPU and allocations with large CRDs. The objects are
// still validated: Helm creates and applies them with
// fieldValidation=Strict, and the API server refuses unknown fields.
type serverValidated struct{ kube.Factory }

// Validator returns a schema that accepts everything; see serverValidated.
func (serverValidated) Validator(string) (validation.Schema, error) {
	return validation.NullSchema{}, nil
}
