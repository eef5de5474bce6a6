package testregistry

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/provenance"
	"sigs.k8s.io/yaml"

	"github.com/kubecube-io/hotplug/internal/testcharts"
)

// Signer is an OpenPGP key that signs chart packages as `helm package
// --sign` does (Helm's provenance.Signatory).
type Signer struct {
	// Keyring is the public key as a binary keyring: what a verify
	// Secret's keyring.gpg holds.
	Keyring []byte

	entity *openpgp.Entity
}

// NewSigner makes a key pair.
func NewSigner(t testing.TB, name string) *Signer {
	t.Helper()
	e, err := openpgp.NewEntity(name, "test", name+"@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	return &Signer{Keyring: pub.Bytes(), entity: e}
}

// Sign returns the .prov of a package named file (its base name,
// <name>-<version>.tgz, as Helm signs it).
func (s *Signer) Sign(t testing.TB, data []byte, file string) []byte {
	t.Helper()
	ch, err := loader.LoadArchive(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	meta, err := yaml.Marshal(ch.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := (&provenance.Signatory{Entity: s.entity, KeyRing: openpgp.EntityList{s.entity}}).ClearSign(data, file, meta)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(prov)
}

// PushSigned packages test/charts/<src> as name-version, signs it with s
// and pushes package and provenance (as `helm push` does when the .prov is
// next to the package); it returns the package's digest.
func (r *Registry) PushSigned(t testing.TB, s *Signer, src, name, version string) string {
	t.Helper()
	dir := t.TempDir()
	file := testcharts.Package(t, src, dir, name, version, "")
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return r.push(t, data, name, version, s.Sign(t, data, file))
}

// PublishSigned is Publish with the package's .prov next to it, signed by s.
func (h *HelmRepo) PublishSigned(t testing.TB, s *Signer, name, version string) string {
	t.Helper()
	digest := h.Publish(t, name, version)
	file := name + "-" + version + ".tgz"
	data, err := os.ReadFile(filepath.Join(h.Dir, file))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.Dir, file+".prov"), s.Sign(t, data, file), 0o644); err != nil {
		t.Fatal(err)
	}
	return digest
}
