package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/kubecube-io/hotplug/internal/controlplane"
)

// assemble writes RESULTS.md: the header (machine, versions, date) and
// every fragment that exists, in the order of fragments.
func assemble(ctx context.Context, out string) error {
	var b strings.Builder
	b.WriteString("# hotplug benchmark results\n\nWritten by `make bench` (hack/bench); each section is one part's fragment.\n\n")
	fmt.Fprintf(&b, "- date: %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "- machine: %s, %d CPUs, %s memory, %s/%s\n", cpuModel(), runtime.NumCPU(), memTotal(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "- Go: %s; Kubernetes (kube-apiserver): %s; Helm SDK: %s; controller-runtime: %s\n",
		runtime.Version(), apiServerVersion(ctx), moduleVersion(ctx, "helm.sh/helm/v4"), moduleVersion(ctx, "sigs.k8s.io/controller-runtime"))
	if idle := os.Getenv("BENCH_IDLE"); idle != "" {
		fmt.Fprintf(&b, "- BENCH_IDLE=%s (the chart-set run's idle period; default 5m)\n", idle)
	}
	b.WriteString("\n")
	found := 0
	for _, name := range fragments {
		data, err := os.ReadFile(filepath.Join(out, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		found++
		b.Write(data)
		b.WriteString("\n")
	}
	if found == 0 {
		return fmt.Errorf("no fragment (%s) in %s", strings.Join(fragments, ", "), out)
	}
	return os.WriteFile(filepath.Join(out, "RESULTS.md"), []byte(b.String()), 0o644)
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			var kib float64
			_, _ = fmt.Sscan(f[1], &kib)
			return fmt.Sprintf("%.0f GiB", kib/(1<<20))
		}
	}
	return "unknown"
}

// apiServerVersion asks the kube-apiserver binary the bench runs.
func apiServerVersion(ctx context.Context) string {
	dir, err := controlplane.FindBinDir()
	if err != nil {
		return "unknown"
	}
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "kube-apiserver"), "--version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "Kubernetes "))
}

func moduleVersion(ctx context.Context, mod string) string {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Version}}", mod).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
