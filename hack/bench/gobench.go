package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// goBenchPackages hold part 1's benchmarks (pure code, no control plane).
var goBenchPackages = []string{"./hack/bench/chartset/", "./internal/merge/", "./internal/agent/", "./internal/chartpkg/", "./internal/health/", "./internal/dashboard/"}

// runGo is part 1: the Go benchmarks with -benchmem, as a table.
func runGo(ctx context.Context, out string) error {
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count=1", "-benchtime=" + envOr("BENCH_GO_TIME", "1s")}, goBenchPackages...)
	logf("go %s", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go test -bench: %w\n%s", err, raw)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "go.md"), []byte(goMarkdown(raw)), 0o644)
}

// goMarkdown turns `go test -bench -benchmem` output into a table.
func goMarkdown(raw []byte) string {
	var b strings.Builder
	b.WriteString("## 1. Go benchmarks (-benchmem)\n\n| package | benchmark | ns/op | B/op | allocs/op | other |\n|---|---|---|---|---|---|\n")
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "pkg:" {
			pkg = strings.TrimPrefix(f[1], "github.com/kubecube-io/hotplug/")
			continue
		}
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		vals := map[string]string{}
		var other []string
		for i := 2; i+1 < len(f); i += 2 {
			switch f[i+1] {
			case "ns/op", "B/op", "allocs/op":
				vals[f[i+1]] = f[i]
			default:
				other = append(other, f[i]+" "+f[i+1])
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", pkg, f[0], vals["ns/op"], vals["B/op"], vals["allocs/op"], strings.Join(other, ", "))
	}
	return b.String()
}
