package chartfetch

import (
	"fmt"
	"strings"
	"time"

	hotplugv1 "github.com/kubecube-io/hotplug/api/hotplug/v1"
	"github.com/kubecube-io/hotplug/internal/chartsource"
)

// resolvedRange is a range's last resolution.
type resolvedRange struct {
	version string
	at      time.Time
}

// rangeKey names a range's resolution for one component, chart and epoch.
func rangeKey(name string, src chartsource.Source, chart *hotplugv1.ChartSource, epoch string) string {
	secret := ""
	if chart.SecretRef != nil {
		secret = chart.SecretRef.Name
	}
	return strings.Join([]string{name, src.Repository, src.Name, src.Version, fmt.Sprint(src.Insecure), secret, epoch}, "\x00")
}

// recentRange returns the version key resolved to within RangeTTL.
func (f *Fetcher) recentRange(key string) (string, bool) {
	if f.RangeTTL <= 0 {
		return "", false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.ranges[key]
	if !ok || f.nowFunc().Sub(r.at) >= f.RangeTTL {
		return "", false
	}
	return r.version, true
}

// rememberRange records that key resolved to version now; resolutions of
// other epochs of the component are dropped.
func (f *Fetcher) rememberRange(key, version string) {
	if f.RangeTTL <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name, _, _ := strings.Cut(key, "\x00")
	for k := range f.ranges {
		if strings.HasPrefix(k, name+"\x00") {
			delete(f.ranges, k)
		}
	}
	f.ranges[key] = resolvedRange{version: version, at: f.nowFunc()}
}

// track records that component name now runs from file, and forgets the
// loaded package it used before when no other component uses it, so the
// loader does not keep every version ever pulled.
func (f *Fetcher) track(name, file string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.loaded[name]
	f.loaded[name] = file
	if old == "" || old == file {
		return
	}
	for _, other := range f.loaded {
		if other == old {
			return
		}
	}
	f.pulled.Forget(old)
}
