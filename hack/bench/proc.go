package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// usage is what /proc tells about one process.
type usage struct {
	PeakRSSMiB  float64 `json:"peakRSSMiB"`  // VmHWM
	CPUSeconds  float64 `json:"cpuSeconds"`  // utime + stime
	PeakAnonMiB float64 `json:"peakAnonMiB"` // largest RssAnon sampled: heap, stacks
	PeakFileMiB float64 `json:"peakFileMiB"` // largest RssFile sampled: the mapped binary
}

// sampler samples a process' RssAnon and RssFile every 100ms: VmHWM
// does not tell the process' own memory from its binary's mapped pages.
type sampler struct {
	stop chan struct{}
	done chan struct{}
	anon float64
	file float64
}

func startSampler(pid string) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if status, err := os.ReadFile("/proc/" + pid + "/status"); err == nil {
				for _, line := range strings.Split(string(status), "\n") {
					f := strings.Fields(line)
					if len(f) < 2 {
						continue
					}
					kib, _ := strconv.ParseFloat(f[1], 64)
					switch f[0] {
					case "RssAnon:":
						s.anon = max(s.anon, kib/1024)
					case "RssFile:":
						s.file = max(s.file, kib/1024)
					}
				}
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// finish stops the sampling and adds its peaks to u.
func (s *sampler) finish(u *usage) {
	close(s.stop)
	<-s.done
	u.PeakAnonMiB, u.PeakFileMiB = s.anon, s.file
}

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// procUsage reads pid's peak RSS and CPU time ("self" for this process).
func procUsage(pid string) (usage, error) {
	var u usage
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kib, _ := strconv.Atoi(f[1])
			u.PeakRSSMiB = float64(kib) / 1024
		}
	}
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return u, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	rest := string(stat)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return u, fmt.Errorf("/proc/%s/stat: %d fields", pid, len(f))
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	u.CPUSeconds = (ut + st) / clockTicks
	return u, nil
}

// loadAverage returns the machine's 1-minute load average: the machine is
// shared, and a busy one slows whichever system runs at the time.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
