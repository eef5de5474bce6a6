package dashboard

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
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/kube"
)

// Local is the view served on the operator's machine (`hotplug
// dashboard`): it reads through an informer cache and acts with Config's
// identity, so Kubernetes RBAC is the only authority.
type Local struct {
	// Config is the operator's, for the pivot.
	Config *rest.Config
	// Listener is bound already (loopback by default); the Host check
	// accepts its address, and localhost:<port> for a loopback one.
	Listener net.Listener
	// Namespace is the hub's (where rollout undo reads revisions).
	Namespace string
	Log       logr.Logger
}

// URL is where the view is served.
func (l Local) URL() string { return "http://" + l.Listener.Addr().String() + "/" }

// Serve runs the cache, the feed and the server until ctx ends.
func (l Local) Serve(ctx context.Context) error {
	cl, err := client.New(l.Config, client.Options{Scheme: kube.Scheme})
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	ca, err := cache.New(l.Config, cache.Options{Scheme: kube.Scheme})
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	broker := NewBroker()
	acts := ClientActions{Client: cl, Namespace: l.Namespace}
	handler := NewHandler(Options{Broker: broker, Hosts: hostsOf(l.Listener.Addr()),
		Actions: acts, Explain: CacheExplainer(ca, cl, l.Namespace), Events: acts.Events, Log: l.Log})
	return Serve(ctx, l.Listener, handler, Feed{Cache: ca, Broker: broker, Log: l.Log}, ca.Start)
}

// Serve runs feed and serves handler on ln until ctx ends, with the extra
// runs (a cache to start) alongside; event streams end with ctx, so that
// stopping does not wait for browsers to leave.
func Serve(ctx context.Context, ln net.Listener, handler http.Handler, feed Feed, also ...func(context.Context) error) error {
	g, ctx := errgroup.WithContext(ctx)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	for _, run := range also {
		g.Go(func() error { return run(ctx) })
	}
	g.Go(func() error { return feed.Run(ctx) })
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("dashboard: %w", err)
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

// hostsOf lists the Host values a listener answers to.
func hostsOf(addr net.Addr) []string {
	hosts := []string{addr.String()}
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		hosts = append(hosts, fmt.Sprintf("localhost:%d", tcp.Port))
	}
	return hosts
}
