package helm

import (
	"fmt"
	"sync"
	"testing"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// TestConcurrent runs operations on many releases at once, and conflicting
// operations on one release, through one Client.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	e := start(t, Options{})
	ctx := testCtx(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	charts := make([]*chartv2.Chart, n)
	for i := range n {
		charts[i] = chart(t, "configmap", fmt.Sprintf("rel-%d", i), "1.0.0")
	}
	shared := chart(t, "configmap", "shared", "1.0.0")
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name, ns := fmt.Sprintf("rel-%d", i), fmt.Sprintf("ns-%d", i%3)
			ch := charts[i]
			if _, err := e.client.Install(ctx, Request{Name: name, Namespace: ns, Chart: ch, Labels: map[string]string{"batch": "yes"}}); err != nil {
				errs <- err
				return
			}
			if _, err := e.client.Upgrade(ctx, Request{Name: name, Namespace: ns, Chart: ch, Values: map[string]any{"i": i}, Labels: map[string]string{"batch": "yes"}}); err != nil {
				errs <- err
			}
			if _, err := e.client.List(ctx, nil); err != nil {
				errs <- err
			}
		}()
	}
	// Same release from several goroutines: serialized, all succeed.
	if _, err := e.client.Install(ctx, Request{Name: "shared", Namespace: "shared", Chart: shared}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.client.Upgrade(ctx, Request{Name: "shared", Namespace: "shared", Chart: shared, Values: map[string]any{"i": i}}); err != nil {
				errs <- err
			}
			if _, err := e.client.Get(ctx, "shared", "shared"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	list, err := e.client.List(ctx, labelsBatch())
	if err != nil || len(list) != n {
		t.Fatalf("List = %v, %v", names(list), err)
	}
	for _, r := range list {
		wantRelease(t, r, 2, "deployed")
	}
	wantRelease(t, e.mustGet(t, "shared", "shared"), n+1, "deployed")
}
