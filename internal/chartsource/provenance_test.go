package chartsource

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/testregistry"
)

// TestProvenanceOCI: with a keyring, a package pushed with a provenance
// signed by a key of it is served (again from the cache, with no blob
// download and still checked); one signed by another key, or unsigned, is
// ErrSignature and not served.
func TestProvenanceOCI(t *testing.T) {
	reg := startRegistry(t)
	ours, theirs := testregistry.NewSigner(t, "fleet"), testregistry.NewSigner(t, "stranger")
	reg.PushSigned(t, ours, "configmap", "logagent", "1.0.0")
	reg.PushSigned(t, theirs, "configmap", "logagent", "1.0.1")
	reg.push(t, "configmap", "logagent", "1.0.2")
	p := newPuller(t.TempDir())
	src := func(version string) Source {
		return Source{Repository: reg.repository(), Name: "logagent", Version: version, Keyring: ours.Keyring}
	}
	pkg, err := p.Pull(context.Background(), src("1.0.0"), reg.creds())
	if err != nil {
		t.Fatalf("signed with our key: %v", err)
	}
	blobs := reg.BlobGets.Load()
	if again, err := p.Pull(context.Background(), src("1.0.0"), reg.creds()); err != nil || !again.Cached || reg.BlobGets.Load() != blobs {
		t.Fatalf("cached signed package: %+v %v, %d blob downloads", again, err, reg.BlobGets.Load()-blobs)
	}
	for version, want := range map[string]string{"1.0.1": "", "1.0.2": "not signed"} {
		_, err := p.Pull(context.Background(), src(version), reg.creds())
		if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), reg.repository()+"/logagent:"+version) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrSignature naming the reference (%q)", version, err, want)
		}
	}
	// A cached package whose .prov was tampered with is refused, not
	// trusted because it is cached.
	prov := pkg.Path + ".prov"
	if err := os.WriteFile(prov, []byte("-----BEGIN PGP SIGNED MESSAGE-----\nforged\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Pull(context.Background(), src("1.0.0"), reg.creds()); !errors.Is(err, ErrSignature) {
		t.Errorf("forged cached provenance: %v, want ErrSignature", err)
	}
	// The refused .prov is not kept: the next pull fetches the signed one
	// again and verifies (a re-signed package is not refused for ever).
	if _, err := os.Stat(prov); !os.IsNotExist(err) {
		t.Errorf("the refused provenance stays cached: %v", err)
	}
	if _, err := p.Pull(context.Background(), src("1.0.0"), reg.creds()); err != nil {
		t.Errorf("after a refused cached provenance the registry's one: %v", err)
	}
	// A provenance that did not verify is never cached.
	refused, err := p.Pull(context.Background(), Source{Repository: reg.repository(), Name: "logagent", Version: "1.0.1"}, reg.creds())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(refused.Path + ".prov"); !os.IsNotExist(err) {
		t.Errorf("the provenance of 1.0.1 (another key) was cached: %v", err)
	}
}

// TestProvenanceHelmRepository: the .prov next to a package in a Helm
// repository is checked the same way; a package without one is refused.
func TestProvenanceHelmRepository(t *testing.T) {
	h := startHelmRepo(t)
	ours := testregistry.NewSigner(t, "fleet")
	h.PublishSigned(t, ours, "logagent", "1.0.0")
	h.publish(t, "logagent", "1.1.0")
	p := newPuller(t.TempDir())
	creds := Credentials{CAPEM: h.CA.PEM}
	if _, err := p.Pull(context.Background(), Source{Repository: h.URL, Name: "logagent", Version: "1.0.0", Keyring: ours.Keyring}, creds); err != nil {
		t.Fatalf("signed: %v", err)
	}
	_, err := p.Pull(context.Background(), Source{Repository: h.URL, Name: "logagent", Version: "1.1.0", Keyring: ours.Keyring}, creds)
	if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "not signed") {
		t.Errorf("unsigned: %v, want ErrSignature saying it is not signed", err)
	}
}
