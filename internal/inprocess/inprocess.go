// Package inprocess runs hotplug's agent and hub inside the current process,
// each in its own controller-runtime manager: several clusters' agents and a
// hub side by side, as the local demo and the end-to-end tests need.
package inprocess

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// Process is one manager running in a goroutine until its context ends.
type Process struct {
	// Name says what runs ("agent member-1", "hub").
	Name string
	// Manager is the running manager.
	Manager manager.Manager
	done    chan struct{}
	err     error // set before done is closed
}

// Wait blocks until the manager has stopped and returns its error.
func (p *Process) Wait() error {
	<-p.done
	if p.err != nil {
		return fmt.Errorf("%s: %w", p.Name, p.err)
	}
	return nil
}

// Done is closed once the manager has stopped.
func (p *Process) Done() <-chan struct{} { return p.done }

// newManager builds a manager without metrics or probe listeners (several
// share one process) and without the global controller-name check (every
// cluster's agent registers the same controller names).
func newManager(cfg *rest.Config, log logr.Logger, webhook *hub.Options, cacheOpts cache.Options) (manager.Manager, error) {
	mopts := ctrl.Options{
		Scheme:                  kube.Scheme,
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		Controller:              config.Controller{SkipNameValidation: ptr.To(true)},
		Logger:                  log,
		GracefulShutdownTimeout: ptr.To(5 * time.Second),
		Cache:                   cacheOpts,
	}
	if webhook != nil {
		mopts.WebhookServer = hub.WebhookServer(*webhook)
	}
	mgr, err := ctrl.NewManager(cfg, mopts)
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	return mgr, nil
}

func start(ctx context.Context, name string, mgr manager.Manager) *Process {
	p := &Process{Name: name, Manager: mgr, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = mgr.Start(ctx)
	}()
	return p
}

// StartAgent runs the agent of opts.ClusterName against cfg until ctx ends.
func StartAgent(ctx context.Context, cfg *rest.Config, opts agent.Options, log logr.Logger) (*Process, error) {
	mgr, err := newManager(cfg, log, nil, agent.CacheOptions())
	if err != nil {
		return nil, fmt.Errorf("agent of %s: %w", opts.ClusterName, err)
	}
	ctx = ctrl.LoggerInto(ctx, log)
	if _, err := agent.Setup(ctx, mgr, cfg, opts); err != nil {
		return nil, fmt.Errorf("setting up the agent of %s: %w", opts.ClusterName, err)
	}
	return start(ctx, "agent "+opts.ClusterName, mgr), nil
}

// LoopbackWebhook sets opts so that the hub's webhook listens on a free
// loopback port that a local kube-apiserver calls by URL.
func LoopbackWebhook(opts hub.Options) (hub.Options, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return opts, fmt.Errorf("reserving a port: %w", err)
	}
	addr, ok := l.Addr().(*net.TCPAddr)
	_ = l.Close()
	if !ok {
		return opts, errors.New("reserving a port: not a TCP address")
	}
	opts.WebhookHost, opts.WebhookPort = "127.0.0.1", addr.Port
	opts.WebhookURL = fmt.Sprintf("https://127.0.0.1:%d%s", addr.Port, hub.WebhookPath)
	opts.ManageCerts = true
	return opts, nil
}

// StartHub runs the hub against the pivot cfg and returns once its webhook
// serves: Hotplugs written before that would escape validation.
func StartHub(ctx context.Context, cfg *rest.Config, opts hub.Options, log logr.Logger) (*Process, error) {
	mgr, err := newManager(cfg, log, &opts, cache.Options{})
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	ctx = ctrl.LoggerInto(ctx, log)
	if err := hub.Setup(ctx, mgr, cfg, opts); err != nil {
		return nil, fmt.Errorf("setting up the hub: %w", err)
	}
	p := start(ctx, "hub", mgr)
	deadline := time.After(30 * time.Second)
	for mgr.GetWebhookServer().StartedChecker()(nil) != nil {
		select {
		case <-p.done:
			return p, fmt.Errorf("hub stopped before its webhook served: %w", p.Wait())
		case <-ctx.Done():
			return p, fmt.Errorf("waiting for the hub's webhook: %w", ctx.Err())
		case <-deadline:
			return p, errors.New("the hub's webhook did not start within 30s")
		case <-time.After(100 * time.Millisecond):
		}
	}
	return p, nil
}
