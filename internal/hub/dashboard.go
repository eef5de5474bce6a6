package hub

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/go-logr/logr"
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
	acts := dashboard.ImpersonatingActions{Config: cfg, Namespace: opts.Namespace, Auth: auth}
	return &dashboardServer{mgr: mgr, address: opts.DashboardBindAddress, broker: broker, log: log.WithName("dashboard"),
		handler: dashboard.NewHandler(dashboard.Options{Broker: broker, Auth: auth, Log: log.WithName("dashboard"),
			Actions: acts, Events: acts.Events,
			Explain: dashboard.CacheExplainer(mgr.GetCache(), mgr.GetAPIReader(), opts.Namespace)})}
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
	return dashboard.Serve(ctx, ln, d.handler, dashboard.Feed{Cache: d.mgr.GetCache(), Broker: d.broker, Log: d.log})
}
