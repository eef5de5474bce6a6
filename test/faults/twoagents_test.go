package faults

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubecube-io/hotplug/internal/agent"
	"github.com/kubecube-io/hotplug/internal/testenv"
)

// TestTwoAgentsOneCluster runs two `hotplug agent` processes against one
// cluster with leader election on and a short lease. Exactly one takes the
// Lease; through 10 random edits only it acts on releases (the other logs no
// Helm action at all); when the leader is SIGKILLed the standby takes the
// Lease within the lease duration plus the retry period, a third agent
// started then waits, and after 3 more edits the cluster holds exactly the
// desired releases.
//
// Who acted is read from each process's own log: every Helm action the
// agent takes is logged ("acting", then "installed/upgraded/uninstalled
// release", ...) and leader election logs "Successfully acquired lease" when an
// agent becomes leader. The leader must log at least one action, so that
// "the standby logged none" is not vacuous.
func TestTwoAgentsOneCluster(t *testing.T) {
	const (
		lease  = 6 * time.Second
		renew  = 4 * time.Second
		retryP = 1 * time.Second
		// Scheduling on a loaded 2-core machine, on top of client-go's
		// jittered retry.
		slack = 4 * time.Second
	)
	rng := randomSource(t)
	cl, c, h, chartDir := seededPivot(t)
	ctx := context.Background()
	args := []string{"--cluster-name=pivot-cluster", "--kubeconfig=" + cl.Kubeconfig, "--chart-dir=" + chartDir,
		"--timeout=15s", "--leader-elect=true",
		"--leader-elect-lease-duration=" + lease.String(),
		"--leader-elect-renew-deadline=" + renew.String(),
		"--leader-elect-retry-period=" + retryP.String()}
	leaseKey := client.ObjectKey{Namespace: agent.DefaultNamespace, Name: "hotplug-agent-pivot-cluster"}
	readLease := func() (coordinationv1.Lease, bool) {
		var l coordinationv1.Lease
		if err := c.Get(ctx, leaseKey, &l); err != nil {
			return l, false
		}
		return l, l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity != ""
	}
	holderOf := func(l coordinationv1.Lease) string {
		if l.Spec.HolderIdentity == nil {
			return ""
		}
		return *l.Spec.HolderIdentity
	}

	// Both start at once and race for the Lease.
	agents := []*loggedAgent{startLoggedAgent(t, "agent-a", args...), startLoggedAgent(t, "agent-b", args...)}
	var leader, standby *loggedAgent
	testenv.Eventually(t, time.Minute, "one agent acquires the Lease", func() (bool, string) {
		var got []*loggedAgent
		for _, a := range agents {
			if a.isLeader() {
				got = append(got, a)
			}
		}
		if len(got) != 1 {
			return false, strconv.Itoa(len(got)) + " agents say they lead"
		}
		leader = got[0]
		return true, ""
	})
	for _, a := range agents {
		if a != leader {
			standby = a
		}
	}
	l, ok := readLease()
	if !ok {
		t.Fatalf("Lease %s has no holder although %s says it leads", leaseKey, leader.name)
	}
	firstHolder, firstTransitions := holderOf(l), ptrInt(l.Spec.LeaseTransitions)
	t.Logf("%s leads (Lease holder %s), %s waits", leader.name, firstHolder, standby.name)

	// The Lease must not change hands while both live: watch it throughout.
	holders := watchHolders(t, ctx, readLease, holderOf)

	waitConverged(t, c, h, 2*time.Minute)
	for range 10 {
		randomEdit(t, c, rng)
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
	}
	waitConverged(t, c, h, 2*time.Minute)
	// At least one lease duration with both alive, so that a standby that
	// would wrongly take over has had the time to.
	if rest := lease + 2*retryP - time.Since(holders.began); rest > 0 {
		time.Sleep(rest)
	}
	seen := holders.snapshot()
	if len(seen) != 1 || seen[0].holder != firstHolder {
		t.Errorf("the Lease changed hands while both agents lived: %v", seen)
	}
	if l, _ := readLease(); ptrInt(l.Spec.LeaseTransitions) != firstTransitions {
		t.Errorf("leaseTransitions moved from %d to %d while both agents lived", firstTransitions, ptrInt(l.Spec.LeaseTransitions))
	}
	if standby.isLeader() {
		t.Errorf("%s also says it acquired the Lease while %s held it", standby.name, leader.name)
	}
	if n, lines := standby.actionsWhileStandby(); n != 0 {
		t.Errorf("%s logged %d Helm action(s) while not leader:\n%s", standby.name, n, strings.Join(lines, "\n"))
	}
	leaderActions := leader.actions()
	if leaderActions == 0 {
		t.Fatalf("%s logged no Helm action through 10 edits: the log attribution does not work", leader.name)
	}
	t.Logf("10 edits: %s made %d Helm action(s); %s made 0 while not leader", leader.name, leaderActions, standby.name)

	// SIGKILL the leader right after an edit, often inside a Helm action.
	randomEdit(t, c, rng)
	time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
	beforeKill, _ := readLease()
	killed := time.Now()
	if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = leader.cmd.Wait()
	holders.stop()
	testenv.Eventually(t, lease+2*retryP+slack+30*time.Second, standby.name+" acquires the Lease", func() (bool, string) {
		return standby.isLeader(), "still waiting"
	})
	failover := standby.leaderSince().Sub(killed)
	afterExpiry := time.Duration(0)
	if beforeKill.Spec.RenewTime != nil {
		afterExpiry = standby.leaderSince().Sub(beforeKill.Spec.RenewTime.Add(lease))
	}
	t.Logf("failover in %.1f s after the SIGKILL (%.1f s after the last renewal expired; lease %v, retry %v)",
		failover.Seconds(), afterExpiry.Seconds(), lease, retryP)
	if limit := lease + 2*retryP + slack; failover > limit {
		t.Errorf("failover took %v, more than lease duration + 2 retry periods + %v = %v", failover.Round(100*time.Millisecond), slack, limit)
	}
	testenv.Eventually(t, 10*time.Second, "the Lease names a new holder", func() (bool, string) {
		l, ok := readLease()
		return ok && holderOf(l) != firstHolder, "holder " + holderOf(l)
	})
	l, _ = readLease()
	secondHolder := holderOf(l)

	// A third agent (the killed one restarted) now waits behind the standby.
	third := startLoggedAgent(t, "agent-c", args...)
	holders = watchHolders(t, ctx, readLease, holderOf)
	for range 3 {
		randomEdit(t, c, rng)
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
	}
	start := time.Now()
	waitConverged(t, c, h, 2*time.Minute)
	t.Logf("after the failover and 3 more edits: converged in %v", time.Since(start).Round(100*time.Millisecond))
	if rest := lease + 2*retryP - time.Since(holders.began); rest > 0 {
		time.Sleep(rest)
	}
	holders.stop()
	if seen := holders.snapshot(); len(seen) != 1 || seen[0].holder != secondHolder {
		t.Errorf("the Lease changed hands after the failover: %v", seen)
	}
	if third.isLeader() {
		t.Errorf("%s acquired the Lease while %s held it", third.name, standby.name)
	}
	if n, lines := third.actionsWhileStandby(); n != 0 {
		t.Errorf("%s logged %d Helm action(s) while not leader:\n%s", third.name, n, strings.Join(lines, "\n"))
	}
	if n, lines := standby.actionsWhileStandby(); n != 0 {
		t.Errorf("%s logged %d Helm action(s) before it led:\n%s", standby.name, n, strings.Join(lines, "\n"))
	}
	t.Logf("failover in %.1f s; standby made 0 Helm actions while not leader (%s after it led: %d; %s waiting: %d)",
		failover.Seconds(), standby.name, standby.actions(), third.name, third.actions())
}

// loggedAgent is a `hotplug agent` child process whose log is read line by
// line as it comes: when it said it acquired the Lease, and which Helm
// actions it logged before and after.
type loggedAgent struct {
	name string
	cmd  *exec.Cmd
	t    testing.TB

	mu          sync.Mutex
	partial     []byte
	leaderAt    time.Time
	standbyActs []string
	leaderActs  int
}

// helmActionLogs are the messages the agent logs for a Helm action: the
// reconciler's "acting" before each step and the Helm wrapper's result.
var helmActionLogs = []string{
	"acting", "installed release", "upgraded release", "uninstalled release", "upgrade failed",
	"rolled back failed upgrade", "rolling back interrupted release", "uninstalling interrupted release that was never deployed",
}

func startLoggedAgent(t *testing.T, name string, args ...string) *loggedAgent {
	t.Helper()
	a := &loggedAgent{name: name, t: t}
	a.cmd = exec.Command(testenv.HotplugBinary(t), append([]string{"agent", "--metrics-bind-address=0", "--health-probe-bind-address=0"}, args...)...)
	// The same comparable writer for both: one goroutine writes, in order.
	a.cmd.Stdout, a.cmd.Stderr = a, a
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.cmd.Process.Kill(); _ = a.cmd.Wait() })
	return a
}

func (a *loggedAgent) Write(p []byte) (int, error) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.partial = append(a.partial, p...)
	for {
		i := bytes.IndexByte(a.partial, '\n')
		if i < 0 {
			break
		}
		line := string(a.partial[:i])
		a.partial = a.partial[i+1:]
		a.t.Log(a.name + ": " + line)
		if a.leaderAt.IsZero() && strings.Contains(strings.ToLower(line), "successfully acquired lease") {
			a.leaderAt = now
		}
		if isHelmAction(line) {
			if a.leaderAt.IsZero() {
				a.standbyActs = append(a.standbyActs, line)
			} else {
				a.leaderActs++
			}
		}
	}
	return len(p), nil
}

// isHelmAction reports whether a log line (JSON or console encoding) is one
// of helmActionLogs.
func isHelmAction(line string) bool {
	for _, m := range helmActionLogs {
		if strings.Contains(line, `"msg":"`+m+`"`) || strings.Contains(line, "\t"+m+"\t") {
			return true
		}
	}
	return false
}

func (a *loggedAgent) isLeader() bool { return !a.leaderSince().IsZero() }

func (a *loggedAgent) leaderSince() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.leaderAt
}

func (a *loggedAgent) actions() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.leaderActs + len(a.standbyActs)
}

func (a *loggedAgent) actionsWhileStandby() (int, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.standbyActs), append([]string(nil), a.standbyActs...)
}

// holderWatch polls the Lease and records every holder it sees, in order.
type holderWatch struct {
	began time.Time
	done  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	seen  []holderSeen
}

type holderSeen struct {
	holder string
	at     time.Time
}

func watchHolders(t *testing.T, ctx context.Context, read func() (coordinationv1.Lease, bool), holderOf func(coordinationv1.Lease) string) *holderWatch {
	w := &holderWatch{began: time.Now(), done: make(chan struct{})}
	t.Cleanup(w.stop)
	w.wg.Go(func() {
		for {
			if l, ok := read(); ok {
				w.mu.Lock()
				if n := len(w.seen); n == 0 || w.seen[n-1].holder != holderOf(l) {
					w.seen = append(w.seen, holderSeen{holderOf(l), time.Now()})
				}
				w.mu.Unlock()
			}
			select {
			case <-w.done:
				return
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	})
	return w
}

func (w *holderWatch) stop() {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
	w.wg.Wait()
}

func (w *holderWatch) snapshot() []holderSeen {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]holderSeen(nil), w.seen...)
}

func ptrInt(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}
