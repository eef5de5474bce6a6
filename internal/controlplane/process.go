package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is one child process with its log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // set before done is closed
}

type spawnRequest struct {
	cmd    *exec.Cmd
	result chan error
}

var (
	spawnOnce sync.Once
	spawnCh   = make(chan spawnRequest)
)

// spawner starts every child from one OS thread that never exits: Linux
// delivers the parent-death signal when the forking thread dies, and Go may
// retire other threads at any time.
func spawner() {
	runtime.LockOSThread()
	for req := range spawnCh {
		req.result <- req.cmd.Start()
	}
}

// startProcess runs bin with args, appending its output to logPath.
func startProcess(name, bin string, args []string, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening log of %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	spawnOnce.Do(func() { go spawner() })
	req := spawnRequest{cmd: cmd, result: make(chan error, 1)}
	spawnCh <- req
	if err := <-req.result; err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process group to terminate and kills it after stopGrace.
func (p *process) stop() error {
	if p == nil || p.exited() {
		return nil
	}
	pgid := -p.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
	return nil
}

// logTail returns the last lines of the process's log, for error messages.
func (p *process) logTail(lines int) string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// waitFor polls ready until it succeeds, the process exits, or ctx ends.
func (p *process) waitFor(ctx context.Context, what string, ready func(context.Context) error) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = ready(ctx); last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before %s: %w; log %s:\n%s", p.name, what, exitError(p.err), p.logPath, p.logTail(20))
		case <-ctx.Done():
			return fmt.Errorf("%s not %s: %w (last: %w); log %s:\n%s", p.name, what, ctx.Err(), last, p.logPath, p.logTail(20))
		case <-tick.C:
		}
	}
}

// exitError names a clean exit too, so that it can be wrapped.
func exitError(err error) error {
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

// freePorts reserves n distinct free loopback ports. The listeners are held
// until all are chosen so the same port is never returned twice.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("reserving a port: %w", err)
		}
		ls = append(ls, l)
		addr, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			return nil, errors.New("reserving a port: not a TCP address")
		}
		ports = append(ports, addr.Port)
	}
	return ports, nil
}
