package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/manifest"
)

type devOptions struct {
	members   int
	stateDir  string
	keepState bool
	workloads bool
}

func init() { register(newDevCommand) }

func newDevCommand() *cobra.Command {
	o := devOptions{}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a local fleet (a pivot and member clusters) built from source, with the seed's configuration",
		Long: `dev starts a local pivot cluster (pivot-cluster) and member clusters (member-1, ...)
on this machine, from binaries built by 'make controlplane' (etcd, kube-apiserver,
kube-controller-manager, kube-scheduler, kwok), installs hotplug's CRDs, registers
the clusters and applies the seed's two configurations. It prints how to reach
each cluster with kubectl, then waits; Ctrl-C stops everything it started.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDev(cmd, o) },
	}
	cmd.Flags().IntVar(&o.members, "members", 1, "number of member clusters")
	cmd.Flags().StringVar(&o.stateDir, "state-dir", "", "directory for cluster state, kubeconfigs and logs (default: a new temporary directory)")
	cmd.Flags().BoolVar(&o.keepState, "keep-state", false, "keep the state directory on exit")
	cmd.Flags().BoolVar(&o.workloads, "workloads", true, "run controller-manager, scheduler and kwok so workloads become Ready")
	return cmd
}

func runDev(cmd *cobra.Command, o devOptions) error {
	ctx := cmd.Context()
	log := logr.FromContextOrDiscard(ctx)
	if o.members < 0 {
		return usageError{fmt.Errorf("--members must be 0 or more, got %d", o.members)}
	}
	dir := o.stateDir
	if dir == "" {
		d, err := os.MkdirTemp("", "hotplug-dev-")
		if err != nil {
			return fmt.Errorf("creating state directory: %w", err)
		}
		dir = d
	}
	if !o.keepState {
		defer func() { _ = os.RemoveAll(dir) }()
	}
	clusters := []controlplane.ClusterOptions{{Name: "pivot-cluster", Workloads: o.workloads}}
	for i := 1; i <= o.members; i++ {
		clusters = append(clusters, controlplane.ClusterOptions{Name: fmt.Sprintf("member-%d", i), Workloads: o.workloads})
	}
	env, err := controlplane.Start(ctx, controlplane.Options{Dir: dir, Clusters: clusters, Log: log})
	if err != nil {
		return fmt.Errorf("starting the local fleet: %w", err)
	}
	defer func() { _ = env.Stop() }()

	pivot := env.Cluster("pivot-cluster")
	c, err := kube.NewClient(pivot.Config)
	if err != nil {
		return err
	}
	for _, name := range samples.Names() {
		if err := manifest.Apply(ctx, c, samples.MustRead(name)); err != nil {
			return fmt.Errorf("applying sample %s: %w", name, err)
		}
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "\nhotplug dev: %d cluster(s) running; state in %s\n\n", len(env.Clusters), dir)
	for _, cl := range env.Clusters {
		fmt.Fprintf(out, "  %-15s kubectl --kubeconfig %s get hotplug,cluster\n", cl.Name, cl.Kubeconfig)
	}
	fmt.Fprintf(out, "\nlogs: %s\nPress Ctrl-C to stop everything.\n", filepath.Join(dir, "<cluster>", "*.log"))
	<-ctx.Done()
	fmt.Fprintln(out, "\nhotplug dev: stopping")
	return nil
}
