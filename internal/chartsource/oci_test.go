package chartsource

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newPuller returns a Puller on a fresh cache in dir.
func newPuller(dir string) *Puller {
	return &Puller{Cache: &Cache{Dir: dir}, RequestTimeout: 10 * time.Second}
}

// TestOCIPullBasicAuthPrivateCA: a chart pushed to a registry behind a
// private CA and basic auth is pulled, its digest is the pushed layer's, a
// second Pull and a fresh Cache on the same directory download nothing.
func TestOCIPullBasicAuthPrivateCA(t *testing.T) {
	reg := startRegistry(t)
	want := reg.push(t, "configmap", "logagent", "1.0.1")
	dir := t.TempDir()
	src := Source{Repository: reg.repository(), Name: "logagent", Version: "1.0.1"}
	pkg, err := newPuller(dir).Pull(context.Background(), src, reg.creds())
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Digest != want || pkg.Cached {
		t.Fatalf("pulled %+v, want digest %s downloaded", pkg, want)
	}
	if data, err := os.ReadFile(pkg.Path); err != nil || len(data) == 0 {
		t.Fatalf("package file: %v", err)
	}
	if n := reg.BlobGets.Load(); n != 1 {
		t.Fatalf("first pull: %d blob GETs, want 1 (the chart layer, not the config)", n)
	}
	p := newPuller(dir)
	for i := range 2 {
		if i == 1 {
			p = newPuller(dir) // a restarted process on the same cache
		}
		again, err := p.Pull(context.Background(), src, reg.creds())
		if err != nil || again.Digest != want || !again.Cached {
			t.Fatalf("pull %d again: %+v %v", i, again, err)
		}
	}
	if n := reg.BlobGets.Load(); n != 1 {
		t.Fatalf("after cached pulls: %d blob GETs, want still 1", n)
	}
	_ = os.Remove(pkg.Path)
	again, err := newPuller(dir).Pull(context.Background(), src, reg.creds())
	if err != nil || again.Cached || reg.BlobGets.Load() != 2 {
		t.Fatalf("a removed package is pulled again: %+v %v blobs=%d", again, err, reg.BlobGets.Load())
	}
}

// TestOCIWrongPassword: refused credentials are ErrUnauthorized naming the
// reference, and the password appears nowhere in the message.
func TestOCIWrongPassword(t *testing.T) {
	reg := startRegistry(t)
	reg.push(t, "configmap", "logagent", "1.0.1")
	bad := reg.creds()
	bad.Password = "wrong-Pa55word-xyz"
	for _, version := range []string{"1.0.1", "~1.0"} {
		src := Source{Repository: reg.repository(), Name: "logagent", Version: version}
		_, err := newPuller(t.TempDir()).Pull(context.Background(), src, bad)
		if !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("%s: got %v, want ErrUnauthorized", version, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, reg.repository()+"/logagent") || !strings.Contains(msg, "refused the credentials") {
			t.Errorf("%s: message %q does not name the reference and the refusal", version, msg)
		}
		if strings.Contains(msg, bad.Password) || strings.Contains(msg, testPassword) {
			t.Errorf("%s: message %q holds a password", version, msg)
		}
	}
}

// TestOCIRangeAndDigestPin: a range picks the highest matching tag; a
// matching pin is pulled, a mismatching one refused naming both digests
// and downloading nothing.
func TestOCIRangeAndDigestPin(t *testing.T) {
	reg := startRegistry(t)
	reg.push(t, "configmap", "logagent", "1.0.1")
	d102 := reg.push(t, "configmap", "logagent", "1.0.2")
	d200 := reg.push(t, "configmap", "logagent", "2.0.0")
	p := newPuller(t.TempDir())
	r, err := p.Resolve(context.Background(), Source{Repository: reg.repository(), Name: "logagent", Version: ">=1.0.0 <2.0.0"}, reg.creds())
	if err != nil || r.Version != "1.0.2" || r.Digest != d102 {
		t.Fatalf("resolve range: %+v %v, want 1.0.2 %s", r, err, d102)
	}
	if n := reg.BlobGets.Load(); n != 0 {
		t.Fatalf("resolve downloaded %d blobs", n)
	}
	pinned := Source{Repository: reg.repository(), Name: "logagent", Version: "1.0.2", Digest: d102}
	if pkg, err := p.Pull(context.Background(), pinned, reg.creds()); err != nil || pkg.Digest != d102 {
		t.Fatalf("matching pin: %+v %v", pkg, err)
	}
	before := reg.BlobGets.Load()
	pinned.Version, pinned.Digest = "2.0.0", d102
	_, err = p.Pull(context.Background(), pinned, reg.creds())
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), d102) || !strings.Contains(err.Error(), d200) {
		t.Fatalf("mismatching pin: %v, want ErrDigestMismatch naming %s and %s", err, d102, d200)
	}
	if reg.BlobGets.Load() != before {
		t.Fatal("a mismatching pin downloaded the package")
	}
}

// TestOCILayerOverBudget: a layer bigger than MaxPackageBytes (from the
// manifest) is refused before its blob is requested.
func TestOCILayerOverBudget(t *testing.T) {
	reg := startRegistry(t)
	reg.push(t, "configmap", "logagent", "1.0.1")
	p := newPuller(t.TempDir())
	p.MaxPackageBytes = 64
	_, err := p.Pull(context.Background(), Source{Repository: reg.repository(), Name: "logagent", Version: "1.0.1"}, reg.creds())
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "64-byte") {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if n := reg.BlobGets.Load(); n != 0 {
		t.Fatalf("%d blob GETs, want 0: the size must be checked before the download", n)
	}
}

// TestOCIConcurrentPullsOnce: two concurrent pulls of one digest download
// it once.
func TestOCIConcurrentPullsOnce(t *testing.T) {
	reg := startRegistry(t)
	want := reg.push(t, "configmap", "logagent", "1.0.1")
	p := newPuller(t.TempDir())
	var wg sync.WaitGroup
	errs := make([]error, 4)
	var downloaded atomic.Int64
	for i := range errs {
		wg.Go(func() {
			pkg, err := p.Pull(context.Background(), Source{Repository: reg.repository(), Name: "logagent", Version: "~1.0"}, reg.creds())
			if err == nil && pkg.Digest != want {
				err = errors.New("digest " + pkg.Digest)
			}
			if !pkg.Cached {
				downloaded.Add(1)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := downloaded.Load(); n != 1 {
		t.Errorf("%d pulls say they downloaded, want 1 (the others share it)", n)
	}
	if n := reg.BlobGets.Load(); n != 1 {
		t.Fatalf("%d blob GETs for concurrent pulls of one digest, want 1", n)
	}
}

// TestOCIRegistryStopped: with the registry stopped, an exact version
// already cached is still served; a range it never resolved is
// ErrUnreachable naming the reference; a range resolved before is served
// from the version it resolved to, with the failure in SourceErr; and once
// the registry is back the range is resolved again.
func TestOCIRegistryStopped(t *testing.T) {
	reg := startRegistry(t)
	reg.push(t, "configmap", "logagent", "1.0.1")
	dir := t.TempDir()
	exact := Source{Repository: reg.repository(), Name: "logagent", Version: "1.0.1"}
	if _, err := newPuller(dir).Pull(context.Background(), exact, reg.creds()); err != nil {
		t.Fatal(err)
	}
	reg.Stop()
	p := newPuller(dir)
	p.RequestTimeout = 2 * time.Second
	_, err := p.Pull(context.Background(), Source{Repository: reg.repository(), Name: "logagent", Version: ">=2.0.0"}, reg.creds())
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), reg.repository()+"/logagent") {
		t.Fatalf("range never resolved, registry stopped: %v, want ErrUnreachable naming the reference", err)
	}
	if pkg, err := p.Pull(context.Background(), exact, reg.creds()); err != nil || !pkg.Cached {
		t.Fatalf("cached exact version with the registry stopped: %+v %v", pkg, err)
	}
	ranged := Source{Repository: reg.repository(), Name: "logagent", Version: "~1.0"}
	pkg, err := p.Pull(context.Background(), ranged, reg.creds())
	if err != nil || pkg.Version != "1.0.1" || !errors.Is(pkg.SourceErr, ErrUnreachable) {
		t.Fatalf("range resolved before, registry stopped: %+v %v; want 1.0.1 from the cache with SourceErr unreachable", pkg, err)
	}
	reg.Restart(t)
	reg.push(t, "configmap", "logagent", "1.0.2")
	pkg, err = p.Pull(context.Background(), ranged, reg.creds())
	if err != nil || pkg.Version != "1.0.2" || pkg.SourceErr != nil {
		t.Fatalf("range after the registry is back: %+v %v; want 1.0.2", pkg, err)
	}
}
