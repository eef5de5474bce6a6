package devenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/charts/examples"
	"github.com/kubecube-io/hotplug/config/samples"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/fleet"
	"github.com/kubecube-io/hotplug/internal/kube"
	"github.com/kubecube-io/hotplug/internal/manifest"
	"github.com/kubecube-io/hotplug/internal/output"
)

// Fleet is a running local fleet. Stop it exactly once.
type Fleet struct {
	// StateDir is Options.StateDir.
	StateDir string
	// ChartDir holds the example chart packages the agents install.
	ChartDir string
	// Env is the local control plane: each cluster's Host, Kubeconfig and
	// Config.
	Env *controlplane.Environment
	// Pivot is a client of the pivot cluster with admin rights.
	Pivot client.Client

	cancel      context.CancelFunc
	controllers []*controller
	stopOnce    sync.Once
	stopErr     error
}

// PivotKubeconfig is the path of the pivot's admin kubeconfig:
// <state-dir>/pivot-cluster/kubeconfig.
func (f *Fleet) PivotKubeconfig() string { return f.Env.Cluster(PivotName).Kubeconfig }

// Status returns the fleet matrix, as `hotplug status` shows it.
func (f *Fleet) Status(ctx context.Context) ([]fleet.Row, error) {
	list, err := fleet.ListClusters(ctx, f.Pivot)
	if err != nil {
		return nil, err
	}
	return fleet.Matrix(list), nil
}

// Start builds missing control-plane binaries, starts the clusters,
// packages the example charts, registers the clusters, applies the seed's
// configuration, runs the hub and the agents and waits until the fleet has
// converged. On error everything started is stopped again. Cancelling ctx
// aborts the start; once Start returned, only Stop ends the fleet.
func Start(ctx context.Context, opts Options) (_ *Fleet, err error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	binDir, err := prepare(ctx, opts)
	if err != nil {
		return nil, err
	}

	f := &Fleet{StateDir: opts.StateDir, ChartDir: filepath.Join(opts.StateDir, "charts")}
	defer func() {
		if err != nil {
			_ = f.Stop()
		}
	}()
	step := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		fmt.Fprintln(opts.Progress, msg)
		opts.Log.V(1).Info(msg)
	}

	begin := time.Now()
	step("starting %d cluster(s) from %s (etcd, kube-apiserver%s)", opts.Members+1, binDir, workloadsNote(opts.Workloads))
	f.Env, err = controlplane.Start(ctx, controlplane.Options{
		BinDir: binDir, Dir: opts.StateDir, Clusters: clusterOptions(opts), Log: progressLogger(opts),
	})
	if err != nil {
		return nil, fmt.Errorf("starting the local clusters: %w", err)
	}
	step("clusters up in %s", time.Since(begin).Round(100*time.Millisecond))

	if err := f.preparePivot(ctx, step); err != nil {
		return nil, err
	}

	// The controllers outlive ctx (a start-up context); Stop cancels them.
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f.cancel = cancel
	if err := f.startHubAndSeed(ctx, cctx, opts.StateDir, step); err != nil {
		return nil, err
	}

	if err := f.startAgents(ctx, cctx, opts); err != nil {
		return nil, err
	}
	step("agents running in %d cluster(s); waiting for the fleet to converge", len(f.Env.Clusters))

	p := output.NewProgress(opts.Progress)
	err = waitConverged(ctx, f.Pivot, clusterNames(opts.Members), opts.ConvergeTimeout, func(s string) { p.Update("  " + s) })
	p.Done("")
	if err != nil {
		return nil, fmt.Errorf("%w (logs: %s)", err, filepath.Join(opts.StateDir, "<cluster>", "agent.log"))
	}
	step("fleet converged in %s", time.Since(begin).Round(100*time.Millisecond))
	return f, nil
}

// prepare finds the control-plane binaries (fetching what is missing) and
// creates the state directory; it returns the binaries' directory.
func prepare(ctx context.Context, opts Options) (string, error) {
	binDir := opts.BinDir
	if binDir == "" {
		var err error
		if binDir, err = controlplane.FindBinDir(); err != nil {
			return "", err
		}
	}
	if err := ensureBinaries(ctx, binDir, opts.Workloads, opts.Progress); err != nil {
		return "", err
	}
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return "", fmt.Errorf("creating state directory: %w", err)
	}
	quietLibraries(opts.StateDir)
	return binDir, nil
}

// preparePivot packages the example charts, connects to the pivot and
// registers every cluster there.
func (f *Fleet) preparePivot(ctx context.Context, step func(format string, args ...any)) error {
	paths, err := examples.WriteAll(f.ChartDir)
	if err != nil {
		return err
	}
	step("packaged %d example charts into %s", len(paths), f.ChartDir)
	if f.Pivot, err = kube.NewClient(f.Env.Cluster(PivotName).Config); err != nil {
		return fmt.Errorf("client for the pivot: %w", err)
	}
	if err := registerClusters(ctx, f.Pivot, f.Env.Clusters); err != nil {
		return err
	}
	step("registered %d Cluster objects on the pivot", len(f.Env.Clusters))
	return nil
}

// startHubAndSeed runs the hub until cctx ends and applies the seed's
// configuration to the pivot through its webhook.
func (f *Fleet) startHubAndSeed(ctx, cctx context.Context, stateDir string, step func(format string, args ...any)) error {
	h, err := startHub(cctx, f.Env.Cluster(PivotName).Config, f.Pivot, stateDir)
	if h != nil {
		f.controllers = append(f.controllers, h)
	}
	if err != nil {
		return err
	}
	step("hub running; webhook registered with the pivot")
	for _, name := range samples.Names() {
		if err := manifest.Apply(ctx, f.Pivot, samples.MustRead(name)); err != nil {
			return fmt.Errorf("applying the seed's %s: %w", name, err)
		}
	}
	step("applied the seed's configuration (%v)", samples.Names())
	return nil
}

// startAgents runs the pivot's agent with the pivot's admin identity and
// each member's with its least-privilege identity on the pivot.
func (f *Fleet) startAgents(ctx, cctx context.Context, opts Options) error {
	pivot := f.Env.Cluster(PivotName)
	for _, cl := range f.Env.Clusters {
		var pivotCfg *rest.Config
		if cl.Name != PivotName {
			var err error
			if pivotCfg, err = memberIdentity(ctx, f.Pivot, pivot, cl.Name, opts.StateDir); err != nil {
				return err
			}
		}
		a, err := startAgent(cctx, cl.Name, cl.Config, pivotCfg, f.ChartDir, opts.StateDir, opts.Workloads)
		if a != nil {
			f.controllers = append(f.controllers, a)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Stop stops the agents and the hub, then every process of the control
// plane, and releases their ports. It is safe to call more than once.
func (f *Fleet) Stop() error {
	f.stopOnce.Do(func() {
		var errs []error
		if f.cancel != nil {
			f.cancel()
		}
		for _, c := range f.controllers {
			if err := c.wait(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := f.Env.Stop(); err != nil {
			errs = append(errs, err)
		}
		f.stopErr = errors.Join(errs...)
	})
	return f.stopErr
}

func clusterOptions(o Options) []controlplane.ClusterOptions {
	out := []controlplane.ClusterOptions{{Name: PivotName, Workloads: o.Workloads, Port: o.PivotPort}}
	for i := 1; i <= o.Members; i++ {
		port := 0
		if o.BasePort > 0 {
			port = o.BasePort + i - 1
		}
		out = append(out, controlplane.ClusterOptions{Name: MemberName(i), Workloads: o.Workloads, Port: port})
	}
	return out
}

func workloadsNote(on bool) string {
	if on {
		return ", controller-manager, scheduler, kwok"
	}
	return ""
}

// progressLogger turns the control plane's logs ("starting kube-apiserver",
// "cluster ready") into indented progress lines.
func progressLogger(o Options) logr.Logger { return logr.New(&progressSink{w: o.Progress}) }

// quietLibraries sends controller-runtime's and klog's global loggers to
// a file: client-go's reflectors log through them (watch errors while the
// clusters stop), which would clutter the terminal.
func quietLibraries(stateDir string) {
	log, _, err := fileLogger(filepath.Join(stateDir, "libraries.log"))
	if err != nil {
		log = logr.Discard()
	}
	ctrl.SetLogger(log)
	klog.SetLogger(log)
}
