package chartfetch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartpkg"
	"github.com/kubecube-io/hotplug/internal/chartsource"
	"github.com/kubecube-io/hotplug/internal/limits"
	"github.com/kubecube-io/hotplug/internal/testcharts"
	"github.com/kubecube-io/hotplug/internal/testregistry"
)

// registryLogin is a real registry's login and CA.
func registryLogin(reg *testregistry.Registry) StaticLogin {
	return StaticLogin{Creds: chartsource.Credentials{Username: testregistry.Username, Password: testregistry.Password, CAPEM: reg.CA.PEM}, From: "test login"}
}

// TestRangeResolvedOncePerTTL: a range is asked of the registry once per
// RangeTTL for one component and epoch (other looks are served from the
// cache, with no request), again when the epoch changes (the Hotplug
// changed), and again after RangeTTL, when a newly published version is
// picked up.
func TestRangeResolvedOncePerTTL(t *testing.T) {
	reg := testregistry.Start(t)
	reg.Push(t, "configmap", "logagent", "1.0.0")
	now := time.Now()
	f := New(chartpkg.NewLoader(t.TempDir(), limits.Default()), &chartsource.Puller{Cache: &chartsource.Cache{Dir: t.TempDir()}},
		registryLogin(reg), limits.Default(), "test")
	f.RangeTTL = 10 * time.Minute
	f.nowFunc = func() time.Time { return now }
	chart := &hotplugv1.ChartSource{Repository: reg.Repository(), Name: "logagent", Version: "~1.0"}
	fetch := func(epoch, want string) {
		t.Helper()
		got, err := f.FetchAt(context.Background(), "logagent", "", chart, epoch)
		if err != nil || got.Version != want || !got.Range {
			t.Fatalf("epoch %s: %+v %v, want %s", epoch, got, err, want)
		}
	}
	fetch("g1", "1.0.0")
	reg.Push(t, "configmap", "logagent", "1.0.1")
	pushed := reg.Manifests.Load()
	fetch("g1", "1.0.0")
	if reg.Manifests.Load() != pushed {
		t.Errorf("a second look within the TTL asked the registry (%d manifest requests)", reg.Manifests.Load()-pushed)
	}
	fetch("g2", "1.0.1") // the Hotplug changed: resolved again
	if reg.Manifests.Load() == pushed {
		t.Error("a new epoch did not ask the registry")
	}
	reg.Push(t, "configmap", "logagent", "1.0.2")
	fetch("g2", "1.0.1")
	now = now.Add(f.RangeTTL)
	fetch("g2", "1.0.2") // the TTL passed
}

// TestCachedPackageMustMatchItsName: a cached package file whose content is
// not the digest its name says (damaged, replaced on disk) is refused, not
// installed.
func TestCachedPackageMustMatchItsName(t *testing.T) {
	reg := testregistry.Start(t)
	reg.Push(t, "configmap", "logagent", "1.0.0")
	cacheDir := t.TempDir()
	f := New(chartpkg.NewLoader(t.TempDir(), limits.Default()), &chartsource.Puller{Cache: &chartsource.Cache{Dir: cacheDir}},
		registryLogin(reg), limits.Default(), "test")
	chart := &hotplugv1.ChartSource{Repository: reg.Repository(), Name: "logagent", Version: "1.0.0"}
	got, err := f.Fetch(context.Background(), "logagent", "", chart)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cacheDir, "packages", "sha256-"+strings.TrimPrefix(got.Digest, "sha256:")+".tgz")
	replacement := filepath.Join(t.TempDir(), "r.tgz")
	testcharts.Package(t, "webapp", filepath.Dir(replacement), "logagent", "1.0.0", "r.tgz")
	data, err := os.ReadFile(replacement)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := New(chartpkg.NewLoader(t.TempDir(), limits.Default()), &chartsource.Puller{Cache: &chartsource.Cache{Dir: cacheDir}},
		registryLogin(reg), limits.Default(), "test")
	if _, err := fresh.Fetch(context.Background(), "logagent", "", chart); err == nil || !strings.Contains(err.Error(), "the cached package") {
		t.Errorf("a replaced cached package: %v, want a refusal", err)
	}
}
