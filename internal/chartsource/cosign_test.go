package chartsource

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kubecube-io/hotplug/internal/testregistry"
)

// TestCosign: with a cosign key, a chart whose manifest that key signed is
// served, in cosign v3's bundle format and in cosign v2's .sig tag; again
// from the cache with no request at all (the registry is stopped) and
// still checked. One signed by another key, or not signed, is ErrSignature
// naming the reference, and is never served.
func TestCosign(t *testing.T) {
	reg := startRegistry(t)
	ours, theirs := testregistry.NewCosignSigner(t), testregistry.NewCosignSigner(t)
	for _, v := range []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3"} {
		reg.push(t, "configmap", "logagent", v)
	}
	reg.CosignSignBundle(t, ours, "logagent", "1.0.0")
	reg.CosignSignTag(t, ours, "logagent", "1.0.1")
	reg.CosignSignBundle(t, theirs, "logagent", "1.0.2")
	reg.CosignSignTag(t, theirs, "logagent", "1.0.2")
	p := newPuller(t.TempDir())
	src := func(version string) Source {
		return Source{Repository: reg.repository(), Name: "logagent", Version: version, CosignKey: ours.PublicPEM}
	}
	signed := map[string]Package{}
	for _, v := range []string{"1.0.0", "1.0.1"} {
		pkg, err := p.Pull(context.Background(), src(v), reg.creds())
		if err != nil {
			t.Fatalf("%s signed with our key: %v", v, err)
		}
		signed[v] = pkg
	}
	for version, want := range map[string]string{"1.0.2": "none of 2 cosign signature(s)", "1.0.3": "not signed with cosign"} {
		_, err := p.Pull(context.Background(), src(version), reg.creds())
		if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), reg.repository()+"/logagent:"+version) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrSignature naming the reference (%q)", version, err, want)
		}
	}
	// A fresh process (no memo) with the cache verifies offline.
	reg.Stop()
	fresh := newPuller(p.Cache.Dir)
	for v := range signed {
		if pkg, err := fresh.Pull(context.Background(), src(v), reg.creds()); err != nil || !pkg.Cached {
			t.Errorf("%s from the cache with the registry down: %+v %v", v, pkg, err)
		}
	}
	// Another key is refused from the cache too, without trusting it.
	other := src("1.0.0")
	other.CosignKey = theirs.PublicPEM
	if _, err := newPuller(p.Cache.Dir).Pull(context.Background(), other, reg.creds()); err == nil {
		t.Error("a cached package was served under a key that never signed it")
	}
	// Evidence that does not verify (tampered) is dropped, not trusted.
	ev := signed["1.0.0"].Path + ".cosign"
	if err := os.WriteFile(ev, []byte(`{"manifest":"e30=","payload":"e30=","signature":"AAAA"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newPuller(p.Cache.Dir).Pull(context.Background(), src("1.0.0"), reg.creds()); !errors.Is(err, ErrUnreachable) {
		t.Errorf("tampered cached evidence, registry down: %v, want the registry asked (unreachable)", err)
	}
	if _, err := os.Stat(ev); !os.IsNotExist(err) {
		t.Errorf("tampered evidence stays cached: %v", err)
	}
	reg.Restart(t)
	if _, err := newPuller(p.Cache.Dir).Pull(context.Background(), src("1.0.0"), reg.creds()); err != nil {
		t.Errorf("after tampered evidence, the registry's signature: %v", err)
	}
}

// TestCosignKeyAndScheme: a key that is not PEM, and cosign on a Helm
// repository, are ErrSignature with a message saying which.
func TestCosignKeyAndScheme(t *testing.T) {
	reg := startRegistry(t)
	reg.push(t, "configmap", "logagent", "1.0.0")
	p := newPuller(t.TempDir())
	_, err := p.Pull(context.Background(), Source{Repository: reg.repository(), Name: "logagent", Version: "1.0.0", CosignKey: []byte("not a key")}, reg.creds())
	if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "cosign.pub is not a PEM public key") {
		t.Errorf("bad key: %v", err)
	}
	h := startHelmRepo(t)
	h.publish(t, "logagent", "1.0.0")
	_, err = p.Pull(context.Background(), Source{Repository: h.URL, Name: "logagent", Version: "1.0.0", CosignKey: testregistry.NewCosignSigner(t).PublicPEM}, Credentials{CAPEM: h.CA.PEM})
	if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "OCI registries only") {
		t.Errorf("cosign on a Helm repository: %v", err)
	}
}
