package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/apimetrics"
	"github.com/kubecube-io/hotplug/internal/controlplane"
	"github.com/kubecube-io/hotplug/internal/kube"
)

// clusterName is the one simulated cluster of each system's run.
const clusterName = "bench"

// startCluster starts a full simulated cluster (etcd, kube-apiserver,
// controller-manager, scheduler, kwok) with hotplug's CRDs under dir.
func startCluster(ctx context.Context, dir string) (*controlplane.Environment, *controlplane.Cluster, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	env, err := controlplane.Start(sctx, controlplane.Options{Dir: dir, Clusters: []controlplane.ClusterOptions{{Name: clusterName, Workloads: true}}, Log: logr.Discard()})
	if err != nil {
		return nil, nil, fmt.Errorf("starting the control plane: %w", err)
	}
	return env, env.Cluster(clusterName), nil
}

// background measures the API server's request rate by verb with nothing
// of ours running (controller-manager, scheduler, kwok, node leases), to
// be read next to the rates measured while a system runs. A window of 0
// measures nothing.
func background(ctx context.Context, cl *controlplane.Cluster, window time.Duration) (apimetrics.Counts, error) {
	time.Sleep(5 * time.Second) // let the components' start-up burst pass
	if window == 0 {
		return nil, nil
	}
	before, err := apimetrics.Scrape(ctx, cl.Config)
	if err != nil {
		return nil, err
	}
	time.Sleep(window)
	after, err := apimetrics.Scrape(ctx, cl.Config)
	if err != nil {
		return nil, err
	}
	return after.Sub(before), nil
}

// helmRevisions counts the release records Helm stores (one Secret per
// revision) in the cluster.
func helmRevisions(ctx context.Context, c client.Client) (int, error) {
	var list corev1.SecretList
	if err := c.List(ctx, &list, client.MatchingLabels{"owner": "helm"}); err != nil {
		return 0, err
	}
	return len(list.Items), nil
}

func newClient(cl *controlplane.Cluster) (client.Client, error) {
	return client.New(cl.Config, client.Options{Scheme: kube.Scheme})
}

// freePort returns a free loopback port.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// poll calls cond every interval until it is true, fails, or timeout.
func poll(ctx context.Context, interval, timeout time.Duration, what string, cond func() (bool, string, error)) error {
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, msg, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		last = msg
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not done after %s: %s", what, timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
