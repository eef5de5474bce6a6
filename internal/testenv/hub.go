package testenv

import (
	"context"
	"sync"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/inprocess"
)

// StoppableHub runs the hub against the pivot cfg until the returned stop
// is called or the test ends, for tests that stop and restart it. opts are
// used as given: pass the same (inprocess.LoopbackWebhook'd, with a
// CertDir) to every start, since the webhook configuration names the port.
func StoppableHub(t testing.TB, cfg *rest.Config, opts hub.Options) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := inprocess.StartHub(ctx, cfg, opts, Logger(t).WithName("hub"))
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if p == nil {
				return
			}
			if err := p.Wait(); err != nil {
				t.Errorf("hub stopped: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	if err != nil {
		t.Fatal(err)
	}
	return stop
}
