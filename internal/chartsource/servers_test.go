package chartsource

import (
	"testing"

	"github.com/kubecube-io/hotplug/internal/testregistry"
)

const (
	testUser     = testregistry.Username
	testPassword = testregistry.Password
)

// ociRegistry is testregistry's registry with this package's view of it.
type ociRegistry struct{ *testregistry.Registry }

func startRegistry(t *testing.T) *ociRegistry { return &ociRegistry{testregistry.Start(t)} }

// creds are the registry's good credentials with its CA.
func (r *ociRegistry) creds() Credentials {
	return Credentials{Username: testUser, Password: testPassword, CAPEM: r.CA.PEM}
}

func (r *ociRegistry) repository() string { return r.Repository() }

func (r *ociRegistry) push(t *testing.T, src, name, version string) string {
	return r.Push(t, src, name, version)
}

// helmRepo is testregistry's Helm repository.
type helmRepo struct{ *testregistry.HelmRepo }

func startHelmRepo(t *testing.T) *helmRepo { return &helmRepo{testregistry.StartHelmRepo(t)} }

func (h *helmRepo) publish(t *testing.T, name, version string) string {
	return h.Publish(t, name, version)
}
