package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-logr/logr"

	"github.com/kubecube-io/hotplug/internal/crds"
)

// ClusterOptions describe one cluster to start.
type ClusterOptions struct {
	// Name of the cluster (a DNS label).
	Name string
	// Workloads adds controller-manager, scheduler and kwok.
	Workloads bool
	// Port of the API server; 0 picks a free one.
	Port int
}

// Options configure Start.
type Options struct {
	// BinDir holds the binaries; empty means FindBinDir.
	BinDir string
	// Dir is the state directory; empty means a new temporary directory
	// that Stop removes.
	Dir string
	// Clusters to start, side by side, sharing one etcd.
	Clusters []ClusterOptions
	// SkipCRDs leaves hotplug's CRDs uninstalled.
	SkipCRDs bool
	// Log receives progress messages.
	Log logr.Logger
}

// Environment is a set of running local clusters. Stop ends them all.
type Environment struct {
	// Dir is the state directory.
	Dir string
	// Clusters in the order they were asked for.
	Clusters []*Cluster

	binDir  string
	ownDir  bool
	etcd    *process
	etcdURL string
	log     logr.Logger
}

// Start starts etcd and the clusters, installs the CRDs and returns when
// every API server is ready. On error everything started is stopped.
func Start(ctx context.Context, opts Options) (env *Environment, err error) {
	env = &Environment{binDir: opts.BinDir, Dir: opts.Dir, log: opts.Log}
	if env.binDir == "" {
		if env.binDir, err = FindBinDir(); err != nil {
			return nil, err
		}
	}
	if env.Dir == "" {
		if env.Dir, err = os.MkdirTemp("", "hotplug-controlplane-"); err != nil {
			return nil, fmt.Errorf("creating state directory: %w", err)
		}
		env.ownDir = true
	} else if err := os.MkdirAll(env.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	defer func() {
		if err != nil {
			_ = env.Stop()
			env = nil
		}
	}()
	env.log.Info("starting etcd", "dir", env.Dir)
	if env.etcd, env.etcdURL, err = startEtcd(ctx, env.binDir, env.Dir); err != nil {
		return env, err
	}
	for _, co := range opts.Clusters {
		if _, err := env.AddCluster(ctx, co, !opts.SkipCRDs); err != nil {
			return env, err
		}
	}
	return env, nil
}

// AddCluster starts one more cluster in the environment.
func (e *Environment) AddCluster(ctx context.Context, co ClusterOptions, installCRDs bool) (*Cluster, error) {
	if co.Name == "" {
		return nil, errors.New("cluster name is empty")
	}
	if e.Cluster(co.Name) != nil {
		return nil, fmt.Errorf("cluster %s already exists", co.Name)
	}
	port := co.Port
	if port == 0 {
		ports, err := freePorts(1)
		if err != nil {
			return nil, err
		}
		port = ports[0]
	}
	c := &Cluster{Name: co.Name, Dir: filepath.Join(e.Dir, co.Name), Workloads: co.Workloads,
		binDir: e.binDir, etcdURL: e.etcdURL, port: port}
	e.Clusters = append(e.Clusters, c)
	if err := c.prepare(); err != nil {
		return nil, err
	}
	e.log.Info("starting kube-apiserver", "cluster", c.Name, "host", c.Host)
	if err := c.StartAPIServer(ctx); err != nil {
		return nil, err
	}
	if installCRDs {
		if err := crds.Install(ctx, c.Config); err != nil {
			return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
		}
	}
	if co.Workloads {
		e.log.Info("starting controller-manager, scheduler and kwok", "cluster", c.Name)
		if err := c.startWorkloads(ctx); err != nil {
			return nil, err
		}
	}
	e.log.Info("cluster ready", "cluster", c.Name, "kubeconfig", c.Kubeconfig)
	return c, nil
}

// Cluster returns the named cluster, or nil.
func (e *Environment) Cluster(name string) *Cluster {
	for _, c := range e.Clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Stop ends every process of the environment and, when Start created the
// state directory, removes it. It is safe to call more than once.
func (e *Environment) Stop() error {
	if e == nil {
		return nil
	}
	var wg sync.WaitGroup
	for _, c := range e.Clusters {
		wg.Go(c.stop)
	}
	wg.Wait()
	_ = e.etcd.stop()
	if e.ownDir {
		if err := os.RemoveAll(e.Dir); err != nil {
			return fmt.Errorf("removing %s: %w", e.Dir, err)
		}
	}
	return nil
}

// PIDs lists the process ids of every process the environment started that
// has not exited yet.
func (e *Environment) PIDs() []int {
	var out []int
	all := []*process{e.etcd}
	for _, c := range e.Clusters {
		all = append(all, c.processes()...)
	}
	for _, p := range all {
		if p != nil && !p.exited() {
			out = append(out, p.cmd.Process.Pid)
		}
	}
	return out
}
