package dev_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubecube-io/hotplug/internal/fleet"
	"github.com/kubecube-io/hotplug/internal/helm"
)

// TestDevEndToEnd runs `hotplug dev` as a child process, as a person runs
// it, drives the fleet with `hotplug status` and `hotplug disable`, and
// stops it with Ctrl-C (SIGINT).
func TestDevEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs local clusters; run without -short")
	}
	bin := buildHotplug(t)
	state := filepath.Join(t.TempDir(), "state")
	pivotKC := filepath.Join(state, "pivot-cluster", "kubeconfig")

	cmd := exec.Command(bin, "dev", "--state-dir", state, "--members", "1")
	cmd.Dir = repoRoot(t) // where bin/ is found, as `make demo` runs it
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out, errOut := watchLines(stdout, "hotplug dev: ready"), watchLines(stderr, "\x00")
	exited := make(chan error, 1)
	go func() { <-out.done; <-errOut.done; exited <- cmd.Wait() }()
	finished := false
	t.Cleanup(func() {
		if !finished {
			_ = cmd.Process.Kill()
			t.Logf("hotplug dev killed at cleanup: %v", <-exited)
		}
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
		}
	})

	select {
	case <-out.found:
	case err := <-exited:
		finished = true
		t.Fatalf("hotplug dev exited before ready: %v", err)
	case <-time.After(90 * time.Second):
		t.Fatal("hotplug dev not ready within 90s")
	}
	t.Logf("hotplug dev ready in %s", time.Since(start).Round(100*time.Millisecond))
	for _, want := range []string{"member-1", "pivot-cluster", "release is running", pivotKC, "status --kubeconfig " + pivotKC, "disable logagent --cluster member-1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if !strings.Contains(errOut.String(), "components ready") {
		t.Errorf("no convergence progress on stderr")
	}

	children := childPIDs(t, cmd.Process.Pid)
	// etcd + per cluster kube-apiserver, controller-manager, scheduler, kwok.
	if len(children) != 9 {
		t.Errorf("want 9 child processes, got %v", children)
	}
	hosts := apiHosts(t, state, "pivot-cluster", "member-1")

	t.Run("status shows the seed's placement", func(t *testing.T) {
		sout, serr, code := run(t, bin, "status", "--kubeconfig", pivotKC, "-o", "json")
		if code != 0 {
			t.Fatalf("status exited %d: %s", code, serr)
		}
		want := map[string]map[string]bool{
			"pivot-cluster": {"logseer": true, "kubecube-thanos": true, "kubecube-monitoring": true, "logagent": true, "audit": false},
			"member-1":      {"logseer": false, "kubecube-thanos": false, "kubecube-monitoring": true, "logagent": true, "audit": false},
		}
		checkMatrix(t, sout, want)
	})

	t.Run("the fleet view serves the matrix", func(t *testing.T) {
		m := regexp.MustCompile(`fleet view in your browser: (http://127\.0\.0\.1:\d+/)`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatal("stdout names no fleet view URL")
		}
		res, err := http.Get(m[1] + "api/snapshot")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = res.Body.Close() }()
		var snap struct {
			Clusters []struct{ Name string }  `json:"clusters"`
			Cells    []struct{ Phase string } `json:"cells"`
		}
		if err := json.NewDecoder(res.Body).Decode(&snap); err != nil || len(snap.Clusters) != 2 || len(snap.Cells) != 10 {
			t.Errorf("snapshot: %d clusters, %d cells (%v), want 2 and 10", len(snap.Clusters), len(snap.Cells), err)
		}
	})

	t.Run("workloads are really ready", func(t *testing.T) {
		cs := clientset(t, pivotKC)
		ds, err := cs.AppsV1().DaemonSets("logagent").Get(context.Background(), "logagent", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ds.Status.NumberReady < 1 {
			t.Errorf("logagent DaemonSet has %d ready pods", ds.Status.NumberReady)
		}
		if !strings.Contains(strings.Join(ds.Spec.Template.Spec.Containers[0].Args, " "), "--cluster=pivot-cluster") {
			t.Errorf("logagent args %v", ds.Spec.Template.Spec.Containers[0].Args)
		}
		sts, err := cs.AppsV1().StatefulSets("kubecube-monitoring").Get(context.Background(), "thanos-receive", metav1.GetOptions{})
		if err != nil || sts.Status.ReadyReplicas != 1 {
			t.Errorf("thanos-receive: %v %+v", err, stsStatus(sts))
		}
	})

	t.Run("disable logagent in member-1 only", func(t *testing.T) {
		dout, derr, code := run(t, bin, "disable", "logagent", "--cluster", "member-1", "--kubeconfig", pivotKC)
		if code != 0 {
			t.Fatalf("disable exited %d:\n%s\n%s", code, dout, derr)
		}
		ctx := context.Background()
		if _, err := helmClient(t, filepath.Join(state, "member-1", "kubeconfig")).Get(ctx, "logagent", "logagent"); !errors.Is(err, helm.ErrNotFound) {
			t.Errorf("member-1's logagent release still there: %v", err)
		}
		if r, err := helmClient(t, pivotKC).Get(ctx, "logagent", "logagent"); err != nil || r.Status != "deployed" {
			t.Errorf("pivot-cluster's logagent release: %v %v", r, err)
		}
		if _, err := clientset(t, filepath.Join(state, "member-1", "kubeconfig")).AppsV1().DaemonSets("logagent").Get(ctx, "logagent", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("member-1's logagent DaemonSet: %v", err)
		}
		sout, _, _ := run(t, bin, "status", "--kubeconfig", pivotKC, "-o", "json")
		checkMatrix(t, sout, map[string]map[string]bool{"member-1": {"logagent": false}, "pivot-cluster": {"logagent": true}})
	})

	stopAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		finished = true
		if err != nil {
			t.Errorf("hotplug dev exited with %v after SIGINT, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("hotplug dev still running 30s after SIGINT")
	}
	t.Logf("hotplug dev stopped %s after SIGINT", time.Since(stopAt).Round(100*time.Millisecond))
	for pid, comm := range children {
		if alive(pid) {
			t.Errorf("child %d (%s) survived", pid, comm)
		}
	}
	if left := processesMentioning(t, state); len(left) > 0 {
		t.Errorf("processes still use the state directory: %v", left)
	}
	for _, h := range hosts {
		l, err := net.Listen("tcp", h)
		if err != nil {
			t.Errorf("API server port %s still bound: %v", h, err)
			continue
		}
		_ = l.Close()
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state directory left behind without --keep-state: %v", err)
	}
}

// checkMatrix checks `status -o json` against cluster -> component ->
// enabled; every listed component must also be ready.
func checkMatrix(t *testing.T, jsonOut string, want map[string]map[string]bool) {
	t.Helper()
	var rows []fleet.Row
	if err := json.Unmarshal([]byte(jsonOut), &rows); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, jsonOut)
	}
	got := map[string]map[string]fleet.Row{}
	for _, r := range rows {
		if got[r.Cluster] == nil {
			got[r.Cluster] = map[string]fleet.Row{}
		}
		got[r.Cluster][r.Component] = r
	}
	for cluster, comps := range want {
		for comp, enabled := range comps {
			r, ok := got[cluster][comp]
			switch {
			case !ok:
				t.Errorf("%s: no row for %s", cluster, comp)
			case r.Enabled != enabled || !r.Ready || r.State != "normal":
				t.Errorf("%s/%s: enabled=%v ready=%v state=%s message=%q; want enabled=%v, ready, normal", cluster, comp, r.Enabled, r.Ready, r.State, r.Message, enabled)
			case enabled && r.Message != "release is running":
				t.Errorf("%s/%s: message %q", cluster, comp, r.Message)
			}
		}
	}
}

// apiHosts reads each cluster's API server host:port from its kubeconfig.
func apiHosts(t *testing.T, state string, clusters ...string) []string {
	t.Helper()
	var out []string
	for _, c := range clusters {
		cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(state, c, "kubeconfig"))
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(cfg.Host)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u.Host)
	}
	return out
}

func clientset(t *testing.T, kubeconfig string) *kubernetes.Clientset {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func helmClient(t *testing.T, kubeconfig string) *helm.Client {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	h, err := helm.New(cfg, helm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func stsStatus(s *appsv1.StatefulSet) any {
	if s == nil {
		return nil
	}
	return s.Status
}
