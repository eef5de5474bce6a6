package helm

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yamlv3 "go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/postrenderer"
)

// ErrPolicy is wrapped by errors of a release refused by the agent's policy.
var ErrPolicy = errors.New("refused by the agent's policy")

// Policy inspects the rendered manifest of an install or upgrade before
// anything reaches the cluster; an error refuses the action (no object is
// created, no revision is recorded, the last revision keeps serving).
type Policy func(manifest []byte) error

// policyRenderer runs a Policy as Helm's post-renderer, which sees the
// manifest after templates and before any object is created.
type policyRenderer struct{ check Policy }

var _ postrenderer.PostRenderer = policyRenderer{}

func (p policyRenderer) Run(rendered *bytes.Buffer) (*bytes.Buffer, error) {
	if err := p.check(rendered.Bytes()); err != nil {
		return nil, err
	}
	return rendered, nil
}

// clusterAdmin is the built-in ClusterRole that grants everything.
const clusterAdmin = "cluster-admin"

// RefuseClusterAdminBindings is a Policy that refuses a manifest binding
// the cluster-admin ClusterRole (a ClusterRoleBinding or RoleBinding whose
// roleRef names it): an add-on chart that makes itself cluster-admin turns
// every compromise of the add-on into a compromise of the cluster. Operators
// who accept that run the agent with --allow-cluster-admin-bindings.
func RefuseClusterAdminBindings(manifest []byte) error {
	dec := yamlv3.NewDecoder(bytes.NewReader(manifest))
	for {
		var obj struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name      string `yaml:"name"`
				Namespace string `yaml:"namespace"`
			} `yaml:"metadata"`
			RoleRef struct {
				Kind string `yaml:"kind"`
				Name string `yaml:"name"`
			} `yaml:"roleRef"`
		}
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			// Helm validates the YAML itself afterwards; a document this
			// decoder cannot read is not a binding it could judge.
			return nil
		}
		if (obj.Kind == "ClusterRoleBinding" || obj.Kind == "RoleBinding") && obj.RoleRef.Kind == "ClusterRole" && obj.RoleRef.Name == clusterAdmin {
			where := obj.Metadata.Name
			if obj.Metadata.Namespace != "" {
				where = obj.Metadata.Namespace + "/" + obj.Metadata.Name
			}
			return fmt.Errorf("%s %s binds the %s ClusterRole: %w (run the agent with --allow-cluster-admin-bindings to permit it)", obj.Kind, where, clusterAdmin, ErrPolicy)
		}
	}
}
