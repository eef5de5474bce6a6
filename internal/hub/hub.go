// Package hub runs in the pivot cluster: it validates Hotplug and Cluster
// objects (admission webhook, with a certificate it issues and renews, and
// refusing a deletion that would uninstall enabled components), rolls every
// cluster's report up into `common`'s status, rolls revisions of `common`
// out progressively when its spec asks (internal/rollout decides), and marks
// clusters whose agent stopped reporting as abnormal.
package hub

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/kubecube-io/hotplug/internal/limits"
)

// Options configure the hub.
type Options struct {
	// Namespace holds the webhook certificate Secret, the revisions of
	// `common` (ControllerRevisions, see internal/rollout) and the clusters'
	// heartbeat Leases (the agents' --pivot-namespace); default
	// kubecube-system.
	Namespace string
	// WebhookHost and WebhookPort are where the webhook listens; default
	// 0.0.0.0:9443.
	WebhookHost string
	WebhookPort int
	// WebhookURL, when set, is how the API server reaches the webhook
	// (outside a cluster, e.g. https://127.0.0.1:9443); else WebhookService.
	WebhookURL string
	// WebhookService is the Service in Namespace in front of the hub.
	WebhookService string
	// CertDir holds tls.crt and tls.key for the webhook server.
	CertDir string
	// ManageCerts makes the hub issue its certificate (default on); off
	// when cert-manager provides it in CertDir.
	ManageCerts bool
	// HeartbeatTimeout marks a cluster abnormal when its agent never
	// renewed a heartbeat Lease and has not reported for this long, and is
	// the lease duration of a Lease that declares none; default 2m. A
	// renewed Lease expires after its own leaseDurationSeconds.
	HeartbeatTimeout time.Duration
	// CheckPeriod is how often cluster health is checked; default 15s.
	CheckPeriod time.Duration
	// Limits bound what the webhook expands while validating, the same
	// bounds the agents apply.
	Limits limits.Limits
	// ValidationTimeout bounds one admission review; default
	// DefaultValidationTimeout, under the webhook's 10 s timeout.
	ValidationTimeout time.Duration
	// DashboardBindAddress, when set, serves the fleet view there (plain
	// HTTP, for an auth proxy or kubectl port-forward in front): every
	// request carries a bearer token that the hub reviews (TokenReview,
	// SubjectAccessReview with the person's groups) and actions
	// impersonate the person. Empty: off.
	DashboardBindAddress string
}

func (o Options) withDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = "kubecube-system"
	}
	if o.WebhookPort == 0 {
		o.WebhookPort = 9443
	}
	if o.WebhookService == "" {
		o.WebhookService = "hotplug-hub"
	}
	if o.HeartbeatTimeout <= 0 {
		o.HeartbeatTimeout = 2 * time.Minute
	}
	if o.CheckPeriod <= 0 {
		o.CheckPeriod = 15 * time.Second
	}
	if o.CertDir == "" {
		o.CertDir = filepath.Join(os.TempDir(), "hotplug-hub-certs")
	}
	return o
}

// WebhookServer returns the webhook server the manager must be built with.
func WebhookServer(opts Options) webhook.Server {
	opts = opts.withDefaults()
	return webhook.NewServer(webhook.Options{Host: opts.WebhookHost, Port: opts.WebhookPort, CertDir: opts.CertDir,
		CertName: "tls.crt", KeyName: "tls.key"})
}

// Setup makes sure the webhook certificate exists (the server needs it to
// start), then adds the webhook, the roll-up and the health check to mgr.
func Setup(ctx context.Context, mgr manager.Manager, cfg *rest.Config, opts Options) error {
	opts = opts.withDefaults()
	log := ctrl.LoggerFrom(ctx).WithName("hub")
	direct, err := client.New(cfg, client.Options{Scheme: mgr.GetScheme()})
	if err != nil {
		return fmt.Errorf("hub: client: %w", err)
	}
	if opts.ManageCerts {
		keeper, err := newCertKeeper(direct, opts, log)
		if err != nil {
			return err
		}
		if _, err := keeper.Ensure(ctx); err != nil {
			return fmt.Errorf("hub: %w", err)
		}
		if err := mgr.Add(keeper); err != nil {
			return fmt.Errorf("hub: %w", err)
		}
	}
	v := newValidator(direct, opts.Limits, opts.ValidationTimeout)
	if v.reads, err = watchFleet(ctx, mgr.GetCache(), direct); err != nil {
		return fmt.Errorf("hub: webhook: %w", err)
	}
	mgr.GetWebhookServer().Register(WebhookPath, &webhook.Admission{Handler: v})
	if err := setupRollup(mgr, opts.Namespace); err != nil {
		return fmt.Errorf("hub: roll-up controller: %w", err)
	}
	if opts.DashboardBindAddress != "" {
		if err := mgr.Add(newDashboardServer(mgr, cfg, direct, opts, log)); err != nil {
			return fmt.Errorf("hub: dashboard: %w", err)
		}
	}
	h := &health{c: mgr.GetClient(), live: mgr.GetAPIReader(), namespace: opts.Namespace, timeout: opts.HeartbeatTimeout, period: opts.CheckPeriod, log: log}
	if err := mgr.Add(h); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	return nil
}

// Run starts a manager for the hub and blocks until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, opts Options, mopts manager.Options) error {
	mopts.WebhookServer = WebhookServer(opts)
	mopts.Cache = leaseCache(mopts.Cache, opts.withDefaults().Namespace)
	mgr, err := ctrl.NewManager(cfg, mopts)
	if err != nil {
		return fmt.Errorf("hub: manager: %w", err)
	}
	if err := Setup(ctx, mgr, cfg, opts); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("ping", func(*http.Request) error { return nil }); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if err := mgr.AddReadyzCheck("webhook", mgr.GetWebhookServer().StartedChecker()); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	return mgr.Start(ctx)
}
