package hub

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/kubecube-io/hotplug/internal/dashboard"
)

// dashboardServer serves the fleet view from the hub's own informer cache
// (one watch for every browser) on every replica, leader or not.
type dashboardServer struct {
	mgr     manager.Manager
	address string
	handler http.Handler
	broker  *dashboard.Broker
	log     logr.Logger
}

func newDashboardServer(mgr manager.Manager, cfg *rest.Config, direct client.Client, opts Options, log logr.Logger) *dashboardServer {
	auth := &dashboard.TokenAuth{Client: direct}
	broker := dashboard.NewBroker()
	return &dashboardServer{mgr: mgr, address: opts.DashboardBindAddress, broker: broker, log: log.WithName("dashboard"),
		handler: dashboard.NewHandler(dashboard.Options{Broker: broker, Auth: auth, Log: log.WithName("dashboard"),
			Actions: dashboard.ImpersonatingActions{Config: cfg, Namespace: opts.Namespace, Auth: auth},
			Explain: dashboard.CacheExplainer(mgr.GetCache())})}
}

// NeedLeaderElection is false: every replica serves the view.
func (d *dashboardServer) NeedLeaderElection() bool { return false }

// Start serves until ctx ends.
func (d *dashboardServer) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", d.address)
	if err != nil {
		return fmt.Errorf("--dashboard-bind-address %s: %w", d.address, err)
	}
	d.log.Info("serving the fleet view", "address", ln.Addr().String())
	g, ctx := errgroup.WithContext(ctx)
	srv := &http.Server{Handler: d.handler, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	g.Go(func() error { return dashboard.Feed{Cache: d.mgr.GetCache(), Broker: d.broker, Log: d.log}.Run(ctx) })
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shut)
	})
	return g.Wait()
}
