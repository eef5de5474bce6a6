package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// usage is what /proc tells about one process.
type usage struct {
	PeakRSSMiB float64 `json:"peakRSSMiB"` // VmHWM
	CPUSeconds float64 `json:"cpuSeconds"` // utime + stime
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
