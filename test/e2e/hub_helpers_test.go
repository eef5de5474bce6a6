package e2e

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"k8s.io/client-go/rest"

	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// runHub runs the hub in-process against the pivot until the test ends;
// the pivot's kube-apiserver calls its webhook on a loopback port.
func runHub(t *testing.T, cfg *rest.Config, opts hub.Options) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	opts.WebhookHost, opts.WebhookPort = "127.0.0.1", port
	opts.WebhookURL = fmt.Sprintf("https://127.0.0.1:%d%s", port, hub.WebhookPath)
	opts.CertDir = t.TempDir()
	opts.ManageCerts = true
	log := zap.New(zap.UseDevMode(true), zap.WriteTo(testWriter{t})).WithName("hub")
	ctx, cancel := context.WithCancel(ctrl.LoggerInto(context.Background(), log))
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:        kube.Scheme,
		Metrics:       metricsserver.Options{BindAddress: "0"},
		Controller:    config.Controller{SkipNameValidation: ptr.To(true)},
		Logger:        log,
		WebhookServer: hub.WebhookServer(opts),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.Setup(ctx, mgr, cfg, opts); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("hub stopped: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	// Wait for the webhook to serve before the test relies on it.
	deadline := time.Now().Add(20 * time.Second)
	for mgr.GetWebhookServer().StartedChecker()(nil) != nil {
		if time.Now().After(deadline) {
			t.Fatal("webhook server did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
