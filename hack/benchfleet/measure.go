package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc (100 on
// every Linux this runs on).
const clockTicks = 100

// cpuSeconds returns the user+system CPU time of pid so far.
func cpuSeconds(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading stat of %d: %w", pid, err)
	}
	// Fields after the command (which may hold spaces) start at ") ".
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("stat of %d: too few fields", pid)
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clockTicks, nil
}

// memMiB returns VmRSS of pid in MiB.
func memMiB(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading status of %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("status of %d: no VmRSS", pid)
}

// procName is the command name of pid.
func procName(pid int) string {
	raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(raw))
}

// cpuMeter measures the CPU a process uses between start and stop.
type cpuMeter struct {
	pid   int
	at    time.Time
	start float64
}

func startCPU(pid int) cpuMeter {
	s, _ := cpuSeconds(pid)
	return cpuMeter{pid: pid, at: time.Now(), start: s}
}

// perMinute is the CPU seconds used per minute of wall time since start.
func (m cpuMeter) perMinute() float64 {
	s, _ := cpuSeconds(m.pid)
	return (s - m.start) / time.Since(m.at).Minutes()
}

// loadAvg is the 1, 5 and 15 minute load averages: the machine is shared,
// so the figures say how busy it was.
func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
