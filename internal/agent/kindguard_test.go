package agent

import (
	"errors"
	"testing"
	"time"

	"github.com/kubecube-io/hotplug/internal/kube"
)

func TestDecideAbsence(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	recent, long := now.Add(-KindReturnGrace/2), now.Add(-2*KindReturnGrace)
	cases := []struct {
		name string
		f    absenceFacts
		hold bool
	}{
		{"confirmed absent, kind served, never vanished: proceed", absenceFacts{LiveAbsent: true, Kind: kube.KindServed}, false},
		{"confirmed absent, kind served, vanished long ago: proceed", absenceFacts{LiveAbsent: true, Kind: kube.KindServed, VanishedAt: long}, false},
		{"kind not served (CRD gone or terminating): hold", absenceFacts{LiveAbsent: true, Kind: kube.KindVanished}, true},
		{"discovery failed: hold", absenceFacts{LiveAbsent: true, Kind: kube.KindUnknown, KindWhy: "timeout"}, true},
		{"kind served again within the grace: hold", absenceFacts{LiveAbsent: true, Kind: kube.KindServed, VanishedAt: recent}, true},
		{"live read failed: hold", absenceFacts{LiveErr: errors.New("no matches for kind"), Kind: kube.KindServed}, true},
		{"cache behind, the Hotplug exists: hold", absenceFacts{LiveAbsent: false, Kind: kube.KindServed}, true},
	}
	for _, c := range cases {
		c.f.Now = now
		why := decideAbsence(c.f)
		if (why != "") != c.hold {
			t.Errorf("%s: hold=%v (%q), want hold=%v", c.name, why != "", why, c.hold)
		}
	}
}
