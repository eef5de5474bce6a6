package cli

import (
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/kubecube-io/hotplug/internal/hub"
	"github.com/kubecube-io/hotplug/internal/kube"
)

func init() { register(newHubCommand) }

func newHubCommand() *cobra.Command {
	var (
		opts        hub.Options
		kubeconfig  string
		metrics     string
		probes      string
		pprof       string
		leaderElect bool
	)
	cmd := &cobra.Command{
		Use:   "hub [--kubeconfig PIVOT]",
		Short: "Run in the pivot cluster: validate Hotplugs, roll cluster reports up into common, watch cluster health",
		Long: `hub runs in the pivot (management) cluster. It serves a validating admission webhook for
Hotplug objects (name is 'common' or a registered Cluster; unique components; status is
enabled or disabled; env renders as a YAML mapping for its cluster(s)), issuing and renewing
its own certificate and registering the ValidatingWebhookConfiguration 'hotplug-hub'. It rolls
every cluster's report up into the status of 'common' and marks clusters whose agent stopped
reporting as abnormal. With spec.rollout.strategy: Progressive in 'common', it moves each new
revision of common to the clusters step by step (see 'hotplug rollout --help'), keeping the
revisions as Secrets hotplug-common-r<N> in --namespace.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := kube.LoadConfig(kubeconfig)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			log := logr.FromContextOrDiscard(ctx)
			ctrl.SetLogger(log)
			ctx = ctrl.LoggerInto(ctx, log)
			log.Info("starting hub", "host", cfg.Host, "webhookPort", opts.WebhookPort)
			return hub.Run(ctx, cfg, opts, manager.Options{
				Scheme:                  kube.Scheme,
				Metrics:                 metricsserver.Options{BindAddress: metrics},
				HealthProbeBindAddress:  probes,
				PprofBindAddress:        pprof,
				LeaderElection:          leaderElect,
				LeaderElectionID:        "hotplug-hub",
				LeaderElectionNamespace: opts.Namespace,
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the pivot cluster (default: in-cluster, then $KUBECONFIG)")
	fl.StringVar(&opts.Namespace, "namespace", "kubecube-system", "namespace of the webhook certificate Secret, the leader lease, the revisions of common and the clusters' heartbeat Leases (the agents' --pivot-namespace)")
	fl.StringVar(&opts.WebhookHost, "webhook-host", "", "address the webhook listens on (default all)")
	fl.IntVar(&opts.WebhookPort, "webhook-port", 9443, "port the webhook listens on")
	fl.StringVar(&opts.WebhookURL, "webhook-url", "", "https URL the API server calls the webhook at, when the hub runs outside the cluster")
	fl.StringVar(&opts.WebhookService, "webhook-service", "hotplug-hub", "Service in --namespace in front of the hub (used when --webhook-url is empty)")
	fl.StringVar(&opts.CertDir, "cert-dir", "", "directory of the webhook's tls.crt and tls.key (default a temporary directory)")
	fl.BoolVar(&opts.ManageCerts, "manage-certs", true, "issue and renew the webhook certificate (false when cert-manager provides it)")
	fl.DurationVar(&opts.HeartbeatTimeout, "heartbeat-timeout", 2*time.Minute, "mark a cluster abnormal when its agent has not reported for this long and never renewed its heartbeat Lease (a renewed Lease expires after its own duration, 4 heartbeat intervals)")
	fl.DurationVar(&opts.ValidationTimeout, "validation-timeout", hub.DefaultValidationTimeout, "longest validation of one Hotplug by the webhook (keep it under the webhook's 10s timeout)")
	opts.Limits.AddFlags(fl)
	fl.StringVar(&opts.DashboardBindAddress, "dashboard-bind-address", "", "serve the fleet view in the browser on this address (plain HTTP, for an auth proxy or kubectl port-forward in front; every request needs a bearer token, reviewed with TokenReview and SubjectAccessReview, and actions impersonate its user); empty: off")
	fl.StringVar(&metrics, "metrics-bind-address", ":8080", "address of /metrics (0 disables)")
	fl.StringVar(&probes, "health-probe-bind-address", ":8081", "address of /healthz and /readyz (0 disables)")
	fl.StringVar(&pprof, "pprof-bind-address", "", "address of Go's /debug/pprof endpoints (empty: off), e.g. 127.0.0.1:6060 for profiles")
	fl.BoolVar(&leaderElect, "leader-elect", false, "elect a leader among replicas")
	return cmd
}
