package helm

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"k8s.io/client-go/rest"

	"github.com/kubecube-io/hotplug/internal/chartpkg"
)

func TestKeyedMutex(t *testing.T) {
	var k keyedMutex
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := k.lock(context.Background(), "a")
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			if n > maxInside.Load() {
				maxInside.Store(n)
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
		}()
	}
	// Another key is never blocked by "a".
	unlockB, err := k.lock(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	unlockB()
	if maxInside.Load() != 1 {
		t.Errorf("%d holders of one key at once", maxInside.Load())
	}
	if len(k.entries) != 0 {
		t.Errorf("entries leaked: %v", k.entries)
	}

	unlock, _ := k.lock(context.Background(), "a")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := k.lock(ctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("lock on held key = %v, want deadline exceeded", err)
	}
	unlock()
	if len(k.entries) != 0 {
		t.Errorf("entries leaked after timeout: %v", k.entries)
	}
}

func TestCloneChartIsolatesHelmMutations(t *testing.T) {
	parent := chart(t, "configmap", "parent", "1.0.0")
	sub := chart(t, "schema", "sub", "1.0.0")
	parent.Metadata.Dependencies = []*chartv2.Dependency{{Name: "sub", Version: "1.0.0", Condition: "sub.enabled"}}
	parent.AddDependency(sub)
	values := map[string]any{"sub": map[string]any{"enabled": false}, "list": []any{map[string]any{"a": 1}}}
	before := chartpkg.Digest(parent, values)
	valuesBefore := cloneValues(values)

	cl := cloneChart(parent)
	// What Helm does while installing: drops disabled subcharts, flags enabled ones.
	if err := chartutil.ProcessDependencies(cl, cloneValues(values)); err != nil {
		t.Fatal(err)
	}
	if len(cl.Dependencies()) != 0 {
		t.Fatalf("Helm kept a disabled subchart; this test no longer shows the mutation")
	}
	cl.Values["greeting"] = "changed"

	if len(parent.Dependencies()) != 1 || len(parent.Metadata.Dependencies) != 1 || parent.Metadata.Dependencies[0].Enabled {
		t.Errorf("original chart's dependencies changed")
	}
	if parent.Values["greeting"] != "hello" {
		t.Errorf("original chart's values changed")
	}
	if chartpkg.Digest(parent, values) != before || !reflect.DeepEqual(values, valuesBefore) {
		t.Errorf("original chart or values changed")
	}
	if cloneChart(nil) != nil || cloneValues(nil) != nil {
		t.Errorf("nil clones are not nil")
	}
}

func TestLabels(t *testing.T) {
	got := exactLabels(map[string]string{"keep": "1", "drop": "2"}, map[string]string{"keep": "3", "add": "4"})
	if want := map[string]string{"keep": "3", "add": "4", "drop": "null"}; !maps.Equal(got, want) {
		t.Errorf("exactLabels = %v, want %v", got, want)
	}
	got = userLabels(map[string]string{"owner": "helm", "name": "x", "status": "deployed", "version": "1", "createdAt": "1", "modifiedAt": "2", "team": "a"})
	if want := map[string]string{"team": "a"}; !maps.Equal(got, want) {
		t.Errorf("userLabels = %v, want %v", got, want)
	}
	if userLabels(nil) == nil {
		t.Errorf("userLabels(nil) is nil")
	}
}

func TestNewRejectsNilConfig(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) succeeded")
	}
	c, err := New(&rest.Config{Host: "https://127.0.0.1:1"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.opts.maxHistory() != DefaultMaxHistory || c.opts.timeout() != DefaultTimeout {
		t.Errorf("defaults not applied")
	}
	if _, err := c.Get(context.Background(), "ns", "Bad_Name"); err == nil {
		t.Errorf("invalid release name accepted")
	}
}
