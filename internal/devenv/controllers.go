package devenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// shutdownGrace bounds how long a manager may take to stop on Ctrl-C.
const shutdownGrace = 5 * time.Second

// controller is one controller-runtime manager running in a goroutine.
type controller struct {
	name string
	mgr  manager.Manager
	done chan struct{}
	err  error // set before done is closed
	log  *os.File
}

// fileLogger returns a JSON logr logger writing to path, so the hub's and
// agents' logs stay out of the terminal but can be read (or tailed) later.
func fileLogger(path string) (logr.Logger, *os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return logr.Discard(), nil, fmt.Errorf("creating log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return logr.Discard(), nil, fmt.Errorf("opening log %s: %w", path, err)
	}
	return zap.New(zap.WriteTo(f)), f, nil
}

// newManager builds a manager without metrics or probe listeners, since
// several run in one process and none is scraped here.
func newManager(cfg *rest.Config, log logr.Logger, webhook bool, hopts hub.Options) (manager.Manager, error) {
	mopts := ctrl.Options{
		Scheme:  kube.Scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		// Agents of several clusters register controllers of the same name.
		Controller:              config.Controller{SkipNameValidation: ptr.To(true)},
		Logger:                  log,
		GracefulShutdownTimeout: ptr.To(shutdownGrace),
	}
	if webhook {
		mopts.WebhookServer = hub.WebhookServer(hopts)
	}
	mgr, err := ctrl.NewManager(cfg, mopts)
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	return mgr, nil
}

// start runs the manager until ctx ends.
func (c *controller) start(ctx context.Context) {
	c.done = make(chan struct{})
	go func() {
		defer close(c.done)
		c.err = c.mgr.Start(ctx)
		if c.log != nil {
			_ = c.log.Close()
		}
	}()
}

// wait returns once the manager has stopped, with its error.
func (c *controller) wait() error {
	if c.done == nil {
		return nil
	}
	<-c.done
	if c.err != nil {
		return fmt.Errorf("%s: %w", c.name, c.err)
	}
	return nil
}

// startHub runs the hub against the pivot with its webhook on a free
// loopback port that the pivot's API server calls, and returns once the
// webhook serves and is registered with the pivot.
func startHub(ctx context.Context, cfg *rest.Config, pivot client.Client, stateDir string) (*controller, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	opts := hub.Options{
		WebhookHost: "127.0.0.1",
		WebhookPort: port,
		WebhookURL:  fmt.Sprintf("https://127.0.0.1:%d%s", port, hub.WebhookPath),
		CertDir:     filepath.Join(stateDir, "hub-certs"),
		ManageCerts: true,
		// Short enough that a stopped agent shows up in `hotplug status`
		// while someone watches, long enough for a busy 2-core machine.
		HeartbeatTimeout: 30 * time.Second,
		CheckPeriod:      5 * time.Second,
	}
	// A reused state directory holds the previous run's webhook
	// configuration, naming its port; the hub only refreshes the caBundle
	// of a configuration an installer made, so remove it and let the hub
	// register its own.
	stale := &admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: hub.WebhookConfigName}}
	if err := pivot.Delete(ctx, stale); err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("removing the previous run's webhook configuration: %w", err)
	}
	log, f, err := fileLogger(filepath.Join(stateDir, "hub.log"))
	if err != nil {
		return nil, err
	}
	mgr, err := newManager(cfg, log, true, opts)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("hub: %w", err)
	}
	hctx := ctrl.LoggerInto(ctx, log)
	if err := hub.Setup(hctx, mgr, cfg, opts); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("setting up the hub: %w", err)
	}
	c := &controller{name: "hub", mgr: mgr, log: f}
	c.start(hctx)
	// Hotplugs applied before the webhook answers would skip validation.
	deadline := time.Now().Add(30 * time.Second)
	for mgr.GetWebhookServer().StartedChecker()(nil) != nil {
		select {
		case <-c.done:
			return c, fmt.Errorf("hub stopped before its webhook served: %w", c.wait())
		case <-ctx.Done():
			return c, fmt.Errorf("waiting for the hub's webhook: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return c, errors.New("the hub's webhook did not start within 30s; see hub.log in the state directory")
		}
	}
	return c, waitWebhookRegistered(ctx, pivot, opts.WebhookURL)
}

// waitWebhookRegistered waits until the pivot's webhook configuration
// points at url. In a reused state directory it still names the previous
// run's port until the hub rewrites it, and the API server would refuse
// every Hotplug write meanwhile.
func waitWebhookRegistered(ctx context.Context, pivot client.Reader, url string) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		vwc := &admissionv1.ValidatingWebhookConfiguration{}
		if err := pivot.Get(ctx, client.ObjectKey{Name: hub.WebhookConfigName}, vwc); err != nil {
			last = err.Error()
			return false, nil
		}
		for _, w := range vwc.Webhooks {
			if w.ClientConfig.URL == nil || *w.ClientConfig.URL != url || len(w.ClientConfig.CABundle) == 0 {
				last = fmt.Sprintf("webhook %s not yet at %s", w.Name, url)
				return false, nil
			}
		}
		return len(vwc.Webhooks) > 0, nil
	})
	if err != nil {
		return fmt.Errorf("the hub did not register its webhook at %s: %w (last: %s)", url, err, last)
	}
	return nil
}

// startAgent runs the agent of cluster; pivot is nil for the pivot itself.
func startAgent(ctx context.Context, cluster string, cfg, pivot *rest.Config, chartDir, stateDir string, workloads bool) (*controller, error) {
	log, f, err := fileLogger(filepath.Join(stateDir, cluster, "agent.log"))
	if err != nil {
		return nil, err
	}
	mgr, err := newManager(cfg, log, false, hub.Options{})
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("agent of %s: %w", cluster, err)
	}
	opts := agent.Options{
		ClusterName: cluster,
		ChartDir:    chartDir,
		PivotConfig: pivot,
		// Frequent heartbeats keep `hotplug status` fresh in the demo.
		HeartbeatInterval: 5 * time.Second,
		// With real workloads a component is "running" only once its pods
		// are Ready; without them nothing would ever become Ready.
		Wait:    workloads,
		Timeout: 2 * time.Minute,
	}
	actx := ctrl.LoggerInto(ctx, log)
	if _, err := agent.Setup(actx, mgr, cfg, opts); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("setting up the agent of %s: %w", cluster, err)
	}
	c := &controller{name: "agent " + cluster, mgr: mgr, log: f}
	c.start(actx)
	return c, nil
}

// freePort returns a loopback port free at the time of the call.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("reserving a port: %w", err)
	}
	defer func() { _ = l.Close() }()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("reserving a port: not a TCP address")
	}
	return addr.Port, nil
}
