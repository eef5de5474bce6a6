package controlplane_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubecube-io/hotplug/internal/controlplane"
)

// peakRSS sums the peak resident set (VmHWM) of pids, in MiB.
func peakRSS(pids []int) float64 {
	var kib int
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
				n, _ := strconv.Atoi(f[1])
				kib += n
			}
		}
	}
	return float64(kib) / 1024
}

func benchStartStop(b *testing.B, clusters ...controlplane.ClusterOptions) {
	if testing.Short() {
		b.Skip("needs the control plane")
	}
	var start, stop time.Duration
	var rss float64
	for b.Loop() {
		t0 := time.Now()
		env, err := controlplane.Start(context.Background(), controlplane.Options{Dir: b.TempDir(), Clusters: clusters})
		if err != nil {
			b.Fatal(err)
		}
		start += time.Since(t0)
		time.Sleep(2 * time.Second) // let controllers settle before reading memory
		rss = max(rss, peakRSS(env.PIDs()))
		t1 := time.Now()
		if err := env.Stop(); err != nil {
			b.Fatal(err)
		}
		stop += time.Since(t1)
	}
	b.ReportMetric(start.Seconds()/float64(b.N), "start-s/op")
	b.ReportMetric(stop.Seconds()/float64(b.N), "stop-s/op")
	b.ReportMetric(rss, "peak-RSS-MiB")
}

// BenchmarkOneCluster: etcd + one kube-apiserver.
func BenchmarkOneCluster(b *testing.B) { benchStartStop(b, controlplane.ClusterOptions{Name: "one"}) }

// BenchmarkOneClusterWithWorkloads adds controller-manager, scheduler, kwok.
func BenchmarkOneClusterWithWorkloads(b *testing.B) {
	benchStartStop(b, controlplane.ClusterOptions{Name: "one", Workloads: true})
}

// BenchmarkThreeClusters: one etcd, three kube-apiservers.
func BenchmarkThreeClusters(b *testing.B) {
	benchStartStop(b, controlplane.ClusterOptions{Name: "a"}, controlplane.ClusterOptions{Name: "b"}, controlplane.ClusterOptions{Name: "c"})
}
