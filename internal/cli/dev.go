package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/kubecube-io/hotplug/internal/dashboard"
	"github.com/kubecube-io/hotplug/internal/devenv"
	"github.com/kubecube-io/hotplug/internal/fleet"
	"github.com/kubecube-io/hotplug/internal/output"
	"github.com/kubecube-io/hotplug/internal/rollout"
)

// devReady is printed to stdout once the fleet has converged; scripts and
// tests wait for it.
const devReady = "hotplug dev: ready"

// devMarker marks a state directory as dev's, so only such directories
// are reused or removed.
const devMarker = ".hotplug-dev"

type devOptions struct {
	opts      devenv.Options
	keepState bool
	dashboard string
}

func init() { register(newDevCommand) }

func newDevCommand() *cobra.Command {
	o := devOptions{}
	cmd := &cobra.Command{
		Use:   "dev [--members N] [--state-dir DIR] [--keep-state]",
		Short: "Run a local fleet (a pivot and member clusters) with the seed's configuration, the hub and agents",
		Long: `dev runs the whole system on this machine. It builds the control-plane binaries
when bin/ lacks them ('make controlplane', printed step by step), then starts a pivot
cluster (pivot-cluster) and --members member clusters (member-1, ...), each with etcd,
kube-apiserver and, with --workloads, controller-manager, scheduler and kwok so that pods
become Ready (nothing is pulled: kwok simulates the nodes).

It installs hotplug's CRDs, registers a Cluster object per cluster on the pivot, packages
the example charts (logseer, logagent, kubecube-monitoring, thanos) into
<state-dir>/charts, applies the seed's 'common' and 'pivot-cluster' Hotplugs, and runs
the hub (its webhook on a loopback port) and one agent per cluster in this process;
member agents reach the pivot as least-privilege users. When every cluster reports its
components ready it prints the fleet matrix, a line '` + devReady + `', where the
kubeconfigs are and commands to try, then waits.

Ctrl-C stops everything it started; the state directory is removed unless --keep-state.
The pivot's kubeconfig is always <state-dir>/pivot-cluster/kubeconfig; logs are
<state-dir>/hub.log, <state-dir>/<cluster>/agent.log and the clusters' process logs.`,
		Example: `  hotplug dev
  hotplug dev --members 2 --state-dir /tmp/fleet --keep-state
  hotplug dev --pivot-port 6443 --base-port 6444`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDev(cmd, o) },
	}
	fl := cmd.Flags()
	fl.IntVar(&o.opts.Members, "members", 1, "number of member clusters (member-1 ... member-N)")
	fl.StringVar(&o.opts.StateDir, "state-dir", "", "directory for cluster state, kubeconfigs, charts and logs (default: a new temporary directory)")
	fl.BoolVar(&o.keepState, "keep-state", false, "keep the state directory on exit")
	fl.BoolVar(&o.opts.Workloads, "workloads", true, "run controller-manager, scheduler and kwok so workloads become Ready")
	fl.IntVar(&o.opts.PivotPort, "pivot-port", 0, "fixed API server port of pivot-cluster (default: a free port)")
	fl.IntVar(&o.opts.BasePort, "base-port", 0, "fixed API server port of member-1; member-N gets base-port+N-1 (default: free ports)")
	fl.StringVar(&o.dashboard, "dashboard-address", "127.0.0.1:0", "where to serve the fleet view in the browser (hotplug dashboard); empty: none")
	fl.DurationVar(&o.opts.ConvergeTimeout, "timeout", 3*time.Minute, "how long to wait for the fleet to converge")
	return cmd
}

func runDev(cmd *cobra.Command, o devOptions) error {
	ctx := cmd.Context()
	opts := o.opts
	if opts.Members < 0 {
		return usageError{fmt.Errorf("--members must be 0 or more, got %d", opts.Members)}
	}
	dir, err := devStateDir(opts.StateDir)
	if err != nil {
		return err
	}
	if !o.keepState {
		defer func() { _ = os.RemoveAll(dir) }()
	}
	opts.StateDir = dir
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	opts.Progress = errOut
	opts.Log = logr.FromContextOrDiscard(ctx)

	f, err := devenv.Start(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			// Ctrl-C while starting is a request, not a failure: Start has
			// already stopped what it started.
			fmt.Fprintf(errOut, "hotplug dev: interrupted while starting; everything it started is stopped (%v)\n", err)
			return nil
		}
		return err
	}
	stopped := false
	stop := func() error {
		stopped = true
		fmt.Fprintln(errOut, "hotplug dev: stopping the agents, the hub and the clusters")
		start := time.Now()
		err := f.Stop()
		fmt.Fprintf(errOut, "hotplug dev: stopped in %s\n", time.Since(start).Round(100*time.Millisecond))
		return err
	}
	defer func() {
		if !stopped {
			_ = f.Stop()
		}
	}()

	rows, err := f.Status(ctx)
	if err != nil {
		return err
	}
	url, err := devDashboard(ctx, f, o.dashboard, opts.Log)
	if err != nil {
		return err
	}
	if err := printDevSummary(out, f, rows, url, o.keepState); err != nil {
		return err
	}
	<-ctx.Done()
	return stop()
}

// devStateDir returns the state directory to use: a new temporary one, or
// the given one when it is empty, new, or one dev made before (marker);
// refusing others keeps Ctrl-C from deleting someone's files.
func devStateDir(dir string) (string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "hotplug-dev-")
		if err != nil {
			return "", fmt.Errorf("creating state directory: %w", err)
		}
		dir = d
	} else {
		entries, err := os.ReadDir(dir)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return "", fmt.Errorf("reading --state-dir: %w", err)
		case len(entries) > 0:
			if _, err := os.Stat(filepath.Join(dir, devMarker)); err != nil {
				return "", usageError{fmt.Errorf("--state-dir %s is not empty and not a hotplug dev state directory (no %s): pass an empty or new directory", dir, devMarker)}
			}
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", fmt.Errorf("--state-dir: %w", err)
		}
		dir = abs
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating state directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, devMarker), []byte("state directory of hotplug dev\n"), 0o600); err != nil {
		return "", fmt.Errorf("marking state directory: %w", err)
	}
	return dir, nil
}

// printDevSummary prints the fleet matrix, the kubeconfigs, commands to try
// and, last, the ready line.
func printDevSummary(w io.Writer, f *devenv.Fleet, rows []fleet.Row, dashboardURL string, keep bool) error {
	fmt.Fprintln(w)
	if err := fleet.WriteTable(w, output.StylerFor(w), rows, time.Now()); err != nil {
		return err
	}
	pivot := f.PivotKubeconfig()
	self := selfPath()
	fmt.Fprintf(w, "\nkubeconfigs:\n")
	for _, cl := range f.Env.Clusters {
		fmt.Fprintf(w, "  %-15s %s   (API server %s)\n", cl.Name, cl.Kubeconfig, cl.Host)
	}
	member := ""
	if len(f.Env.Clusters) > 1 {
		member = f.Env.Clusters[1].Name
	}
	if dashboardURL != "" {
		fmt.Fprintf(w, "\nfleet view in your browser: %s\n", dashboardURL)
	}
	fmt.Fprintf(w, "\ntry:\n")
	fmt.Fprintf(w, "  %s status --kubeconfig %s\n", self, pivot)
	fmt.Fprintf(w, "  watch %s status --kubeconfig %s\n", self, pivot)
	if member != "" {
		fmt.Fprintf(w, "  %s disable logagent --cluster %s --kubeconfig %s\n", self, member, pivot)
		fmt.Fprintf(w, "  %s enable logseer --cluster %s --kubeconfig %s\n", self, member, pivot)
	}
	fmt.Fprintf(w, "  kubectl --kubeconfig %s edit hotplug common\n", pivot)
	fmt.Fprintf(w, "  kubectl --kubeconfig %s get hotplug,cluster\n", pivot)
	fmt.Fprintf(w, "  kubectl --kubeconfig %s get pods -A\n", f.Env.Clusters[len(f.Env.Clusters)-1].Kubeconfig)
	where := "removed on exit (--keep-state keeps it)"
	if keep {
		where = "kept on exit"
	}
	fmt.Fprintf(w, "\nstate and logs: %s (%s)\n", f.StateDir, where)
	fmt.Fprintf(w, "%s (%d clusters; pivot kubeconfig %s); press Ctrl-C to stop everything\n", devReady, len(f.Env.Clusters), pivot)
	return nil
}

// selfPath is how to invoke this binary in printed commands: relative to
// the working directory when inside it (bin/hotplug), else absolute.
func selfPath() string {
	exe, err := os.Executable()
	if err != nil {
		return "hotplug"
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, exe); err == nil && !strings.HasPrefix(rel, "..") {
			if !strings.Contains(rel, string(filepath.Separator)) {
				return "./" + rel
			}
			return rel
		}
	}
	return exe
}

// devDashboard serves the fleet view of f's pivot on address until ctx
// ends and returns its URL ("" when address is empty).
func devDashboard(ctx context.Context, f *devenv.Fleet, address string, log logr.Logger) (string, error) {
	if address == "" {
		return "", nil
	}
	ln, err := net.Listen("tcp", address)
	if err != nil {
		return "", fmt.Errorf("--dashboard-address %s: %w", address, err)
	}
	local := dashboard.Local{Config: f.Env.Cluster(devenv.PivotName).Config, Listener: ln, Namespace: rollout.DefaultNamespace, Log: log.WithName("dashboard")}
	go func() {
		if err := local.Serve(ctx); err != nil {
			log.Error(err, "the fleet view stopped")
		}
	}()
	return local.URL(), nil
}
