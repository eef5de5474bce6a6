package cli

import (
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/chartsource"
	"github.com/kubecube-io/hotplug/internal/heartbeat"
	"github.com/kubecube-io/hotplug/internal/kube"
)

type agentFlags struct {
	opts        agent.Options
	kubeconfig  string
	pivot       string
	metrics     string
	probes      string
	pprof       string
	cpuProfile  string
	leaderElect bool
	driftRepair bool
	lease       time.Duration
	renew       time.Duration
	retry       time.Duration
}

func init() { register(newAgentCommand) }

func newAgentCommand() *cobra.Command {
	f := agentFlags{}
	cmd := &cobra.Command{
		Use:   "agent --cluster-name NAME [--kubeconfig PATH] [--chart-dir DIR]",
		Short: "Reconcile `common` and this cluster's Hotplug into Helm releases in this cluster",
		Long: `agent runs in every cluster. It merges the Hotplug 'common' with the Hotplug named
after the cluster and installs, upgrades or uninstalls one Helm release per component
(release name = component name) from the chart packages in --chart-dir. Status goes to
both Hotplug objects; feature switches (components without pkgName) go to the ConfigMap
kubecube-feature-config.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd) },
	}
	f.addFlags(cmd.Flags())
	return cmd
}

// run starts the agent with the parsed flags until the command's context
// ends.
func (f *agentFlags) run(cmd *cobra.Command) error {
	if f.opts.ClusterName == "" {
		return usageError{fmt.Errorf("--cluster-name is required")}
	}
	cfg, err := kube.LoadConfig(f.kubeconfig)
	if err != nil {
		return err
	}
	if f.pivot != "" {
		if f.opts.PivotConfig, err = kube.LoadConfig(f.pivot); err != nil {
			return fmt.Errorf("--pivot-kubeconfig: %w", err)
		}
	}
	ctx := cmd.Context()
	log := logr.FromContextOrDiscard(ctx)
	ctrl.SetLogger(log)
	ctx = ctrl.LoggerInto(ctx, log)
	stopProfile, err := startCPUProfile(f.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	log.Info("starting agent", "cluster", f.opts.ClusterName, "chartDir", f.opts.ChartDir, "host", cfg.Host)
	f.opts.DisableDriftRepair = !f.driftRepair
	return agent.Run(ctx, cfg, f.opts, f.managerOptions())
}

// managerOptions are the controller-runtime manager's options the flags
// ask for.
func (f *agentFlags) managerOptions() manager.Options {
	return manager.Options{
		Scheme:                 kube.Scheme,
		Metrics:                metricsserver.Options{BindAddress: f.metrics},
		HealthProbeBindAddress: f.probes,
		PprofBindAddress:       f.pprof,
		Cache:                  agent.CacheOptions(),
		// One writer per cluster: a second agent (a rolling update, one
		// started by hand) waits for the Lease; a clean stop hands it
		// over at once.
		LeaderElection:                f.leaderElect,
		LeaderElectionID:              "hotplug-agent-" + f.opts.ClusterName,
		LeaderElectionNamespace:       f.opts.Namespace,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &f.lease,
		RenewDeadline:                 &f.renew,
		RetryPeriod:                   &f.retry,
	}
}

// addFlags defines the agent's flags on fl, bound to f.
func (f *agentFlags) addFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.opts.ClusterName, "cluster-name", "", "name of the cluster this agent runs in (required)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of this cluster (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)")
	fl.StringVar(&f.pivot, "pivot-kubeconfig", "", "kubeconfig of the pivot cluster; set in member clusters to mirror common and this cluster's Hotplug from the pivot and report back")
	fl.DurationVar(&f.opts.HeartbeatInterval, "heartbeat-interval", 30*time.Second, "how often to renew the cluster's heartbeat Lease hotplug-cluster-<cluster> on the pivot (reports are written only when they change)")
	fl.StringVar(&f.opts.PivotNamespace, "pivot-namespace", heartbeat.DefaultNamespace, "namespace of the hub and the heartbeat Leases on the pivot (the hub's --namespace)")
	fl.StringVar(&f.opts.ChartDir, "chart-dir", agent.DefaultChartDir, "directory of chart packages (.tgz files or chart directories)")
	fl.StringVar(&f.opts.Namespace, "namespace", agent.DefaultNamespace, "namespace of the feature ConfigMap, the release inventory, the leader lease and the Secrets that charts by source name (chart.secretRef, chart.verify.secretRef)")
	fl.StringVar(&f.opts.ChartCacheDir, "chart-cache-dir", "", "directory where packages of charts from a registry are cached by digest, with the versions they resolved to (default: <chart-dir>/"+agent.DefaultChartCacheSubdir+")")
	fl.Int64Var(&f.opts.ChartCacheMaxSize, "chart-cache-max-size", agent.DefaultChartCacheMaxSize, "largest total size of cached chart packages in bytes; least recently used ones are removed first, never one a running release came from (negative: no bound)")
	fl.DurationVar(&f.opts.ChartPollInterval, "chart-poll-interval", agent.DefaultChartPollInterval, "how often a chart whose version is a range is resolved again (also on every change of the Hotplug); exact versions and digests are served from the cache")
	fl.Int64Var(&f.opts.MaxRepositoryIndexSize, "max-repository-index-size", chartsource.DefaultMaxIndexBytes, "largest index.yaml of a Helm repository in bytes, checked before it is parsed")
	fl.IntVar(&f.opts.Concurrency, "concurrency", 4, "components reconciled at once")
	fl.DurationVar(&f.opts.Resync, "resync", 5*time.Minute, "how often converged components are looked at again even without events (release state and the health of its objects)")
	fl.BoolVar(&f.opts.Wait, "wait", false, "let Helm wait for each release's resources during install and upgrade (health is judged from the objects either way, see --health-timeout)")
	fl.DurationVar(&f.opts.Timeout, "timeout", 5*time.Minute, "timeout of one Helm action")
	fl.BoolVar(&f.opts.AllowClusterAdminBindings, "allow-cluster-admin-bindings", false, "let charts bind the cluster-admin ClusterRole (refused by default: the add-on would own the cluster)")
	fl.BoolVar(&f.driftRepair, "drift-repair", true, "set objects of in-sync releases that someone changed or deleted back to the release (server-side apply under Helm's field manager; fields other controllers own are left alone); a component can opt out with driftRepair: false")
	fl.StringSliceVar(&f.opts.DriftRespectManagers, "drift-respect-managers", nil, "field managers (exact names, comma-separated or repeated) whose fields drift repair and upgrades leave alone (upgrades do not take them back), added to the built-in list (kube-controller-manager, autoscalers, names ending in -controller, -controller-manager, -operator or -autoscaler); e.g. manager (kubebuilder's default), cert-manager-cainjector, istiod. The DriftRepaired Event names the manager each repaired field was taken from")
	fl.DurationVar(&f.opts.HealthTimeout, "health-timeout", 5*time.Minute, "how long a release's objects may stay not ready (kstatus) after an install or upgrade before the component fails (negative: forever); health is watched, --wait is not needed for it")
	fl.IntVar(&f.opts.MaxHistory, "max-history", 10, "release revisions kept per component")
	fl.StringVar(&f.opts.RolloutNamespace, "rollout-namespace", "", "namespace on the pivot where the hub keeps the revisions of common and each cluster's assignment (the hub's --namespace; default: --pivot-namespace); read when common's rollout strategy is Progressive")
	fl.StringVar(&f.metrics, "metrics-bind-address", ":8080", "address of the Prometheus /metrics endpoint (0 disables)")
	fl.StringVar(&f.pprof, "pprof-bind-address", "0", "address of Go's /debug/pprof endpoints (0 disables); for profiling, never exposed by default")
	fl.StringVar(&f.cpuProfile, "cpu-profile", "", "write a CPU profile of the agent's whole run to this file when it stops (for benchmarks)")
	fl.StringVar(&f.probes, "health-probe-bind-address", ":8081", "address of /healthz and /readyz (0 disables)")
	fl.BoolVar(&f.leaderElect, "leader-elect", true, "act only while holding the Lease hotplug-agent-<cluster> in --namespace, so that one agent at a time changes the cluster's releases")
	fl.DurationVar(&f.lease, "leader-elect-lease-duration", 60*time.Second, "how long a standby agent waits after the last renewal before taking the Lease over (a crashed leader is replaced within about this plus the retry period; a stopped one hands over at once). The defaults keep an idle agent quiet (a renewal every 20 s); with standbys, 15s/10s/2s replace a dead leader within about 15 s for 30 renewals a minute")
	fl.DurationVar(&f.renew, "leader-elect-renew-deadline", 40*time.Second, "how long the leader keeps trying to renew the Lease before it stops acting (less than the lease duration)")
	fl.DurationVar(&f.retry, "leader-elect-retry-period", 20*time.Second, "how often agents try to acquire or renew the Lease (the leader writes the Lease this often)")
	(&f.opts.Limits).AddFlags(fl)
}
