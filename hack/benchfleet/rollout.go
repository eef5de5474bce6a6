package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/apimetrics"
)

// rolloutResult is what the Progressive phase measured: common turned
// Progressive with envKiB of env per component, every cluster assigned,
// then one edit rolling out for a window.
type rolloutResult struct {
	n, components, envKiB int
	retries               int
	assignAll             time.Duration      // from Progressive to every cluster assigned
	hubCPU, hubRSS        float64            // over the window; at its end
	hubHeap               float64            // MiB in use at the end (pprof heap, inuse_space)
	hubRead, hubReadWin   float64            // MiB the hub read (rchar: mostly its API responses) over the phase; over the window
	requests              apimetrics.Counts  // the pivot's requests over the phase
	bytesOut              map[string]float64 // response bytes by resource over the phase
}

// rolloutEnvKiB is HOTPLUG_BENCH_FLEET_ROLLOUT_ENV_KIB: the env size per
// component of the Progressive phase; 0 (default) skips it.
func rolloutEnvKiB() int {
	n, _ := strconv.Atoi(os.Getenv("HOTPLUG_BENCH_FLEET_ROLLOUT_ENV_KIB"))
	return n
}

// editCommon changes common and returns its generation, retried on
// conflict and, like an operator would, when the hub's webhook does not
// answer in time under load (counted in retries).
func (f *fleet) editCommon(ctx context.Context, change func(*hotplugv1.Hotplug)) (int64, error) {
	var gen int64
	backoff := wait.Backoff{Duration: time.Second, Factor: 2, Steps: 8}
	err := retry.OnError(backoff, func(err error) bool {
		if apierrors.IsConflict(err) {
			return true
		}
		f.retries.Add(1)
		// The webhook refuses with "try again" when its fleet-wide
		// validation did not finish in time.
		return apierrors.IsInternalError(err) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) ||
			strings.Contains(err.Error(), "try again")
	}, func() error {
		hp, err := f.common(ctx)
		if err != nil {
			return err
		}
		change(hp)
		if err := f.admin.Update(ctx, hp); err != nil {
			return err
		}
		gen = hp.Generation
		return nil
	})
	return gen, err
}

// withEnv gives every component of hp an env of kib KiB: random base64,
// so that the API server's response compression does not hide its size.
func withEnv(hp *hotplugv1.Hotplug, kib int, tag string) {
	rnd := rand.New(rand.NewPCG(uint64(len(tag)), 1))
	for i := range hp.Spec.Component {
		raw := make([]byte, (kib<<10)*3/4)
		for j := range raw {
			raw[j] = byte(rnd.Uint32())
		}
		hp.Spec.Component[i].Env = "tag: " + tag + "\npadding: " + base64.StdEncoding.EncodeToString(raw) + "\n"
	}
}

// rollout measures the Progressive phase over n members: env of kib KiB
// on every component of common, every cluster assigned (the first
// Progressive generation goes everywhere at once), then a second edit
// rolling out (canary-less, one at a time) for the idle window.
func (f *fleet) rollout(ctx context.Context, n, kib int) (rolloutResult, error) {
	r := rolloutResult{n: n, envKiB: kib}
	before, err := apimetrics.Scrape(ctx, f.pivot.Config)
	if err != nil {
		return r, err
	}
	sizesBefore, err := responseBytes(ctx, f)
	if err != nil {
		return r, err
	}
	readStart := readMiB(f.hub.Process.Pid)
	start := time.Now()
	gen, err := f.editCommon(ctx, func(hp *hotplugv1.Hotplug) {
		withEnv(hp, kib, "first")
		hp.Spec.Rollout = &hotplugv1.RolloutSpec{Strategy: hotplugv1.RolloutProgressive}
		r.components = len(hp.Spec.Component)
	})
	if err != nil {
		return r, fmt.Errorf("making common Progressive: %w", err)
	}
	logf("rollout: common Progressive at generation %d, %d components x %d KiB env", gen, r.components, kib)
	if err := f.waitCommon(ctx, 10*time.Minute, "every cluster assigned", func(hp *hotplugv1.Hotplug) bool {
		st := hp.Status.Rollout
		return st != nil && st.TargetRevision == gen && st.Phase == hotplugv1.RolloutComplete
	}); err != nil {
		return r, err
	}
	r.assignAll = time.Since(start)
	logf("rollout: every cluster assigned in %s; editing again, then %s window", r.assignAll.Round(time.Second), f.cfg.idle)
	hubCPU, readWin := startCPU(f.hub.Process.Pid), readMiB(f.hub.Process.Pid)
	if _, err := f.editCommon(ctx, func(hp *hotplugv1.Hotplug) { withEnv(hp, kib, "second") }); err != nil {
		return r, err
	}
	select {
	case <-time.After(f.cfg.idle):
	case <-ctx.Done():
		return r, ctx.Err()
	}
	r.hubCPU = hubCPU.perMinute()
	r.retries = int(f.retries.Load())
	r.hubRead, r.hubReadWin = readMiB(f.hub.Process.Pid)-readStart, readMiB(f.hub.Process.Pid)-readWin
	r.hubRSS, _ = memMiB(f.hub.Process.Pid)
	if heap, err := f.fetch(ctx, "/debug/pprof/heap?debug=1"); err == nil {
		r.hubHeap = heapInUse(heap)
	}
	after, err := apimetrics.Scrape(ctx, f.pivot.Config)
	if err != nil {
		return r, err
	}
	r.requests = after.Sub(before)
	sizesAfter, err := responseBytes(ctx, f)
	if err != nil {
		return r, err
	}
	r.bytesOut = map[string]float64{}
	for k, v := range sizesAfter {
		if d := v - sizesBefore[k]; d > 0 {
			r.bytesOut[k] = d
		}
	}
	return r, nil
}

// responseBytes sums the pivot API server's apiserver_response_sizes_sum
// by resource: the bytes it answered with.
func responseBytes(ctx context.Context, f *fleet) (map[string]float64, error) {
	cs, err := kubernetes.NewForConfig(f.pivot.Config)
	if err != nil {
		return nil, err
	}
	var raw []byte
	err = wait.PollUntilContextTimeout(ctx, time.Second, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		raw, err = cs.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
		return err == nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_response_sizes_sum{") {
			continue
		}
		labels := line[strings.IndexByte(line, '{')+1 : strings.LastIndexByte(line, '}')]
		var resource, verb string
		for _, kv := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "resource":
				resource = strings.Trim(v, `"`)
			case "verb":
				verb = strings.Trim(v, `"`)
			}
		}
		val, err := strconv.ParseFloat(strings.TrimSpace(line[strings.LastIndexByte(line, '}')+1:]), 64)
		if err != nil {
			continue
		}
		out[verb+" "+resource] += val
	}
	return out, sc.Err()
}

// readMiB is the bytes pid read so far (rchar of /proc/<pid>/io: files
// and sockets, so for the hub essentially the API server's answers), MiB.
func readMiB(pid int) float64 {
	raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return n / (1 << 20)
		}
	}
	return 0
}

// heapInUse reads "# HeapInuse = N" from a debug=1 heap profile, in MiB.
func heapInUse(raw []byte) float64 {
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "# HeapInuse = "); ok {
			n, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return n / (1 << 20)
		}
	}
	return 0
}

// renderRollout is the markdown section of the Progressive phase.
func renderRollout(r rolloutResult, idle time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Progressive rollout, %d members\n\n", r.n)
	fmt.Fprintf(&b, "`common` made Progressive with %d components x %d KiB env; every cluster assigned in %s; then one more edit rolling out for %s (requests retried so far, admission timeouts included: %d).\n\n",
		r.components, r.envKiB, r.assignAll.Round(time.Second), idle, r.retries)
	fmt.Fprintf(&b, "| hub CPU s/min (window) | hub RSS MiB | hub heap in use MiB | hub read MiB (phase / window) | pivot requests (phase) |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %.2f | %.0f | %.0f | %.1f / %.1f | %.0f |\n\n", r.hubCPU, r.hubRSS, r.hubHeap, r.hubRead, r.hubReadWin, r.requests.Total())
	fmt.Fprintf(&b, "| pivot answered (phase) | requests | MiB |\n|---|---|---|\n")
	for _, res := range []string{"controllerrevisions", "secrets"} {
		for _, verb := range []string{"LIST", "GET", "WATCH"} {
			fmt.Fprintf(&b, "| %s %s | %.0f | %.1f |\n", verb, res, r.requests.Get(verb, res, ""), r.bytesOut[verb+" "+res]/(1<<20))
		}
	}
	return b.String()
}
