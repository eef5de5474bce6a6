package webhookcert

import (
	"bytes"
	"testing"
	"time"
)

func mustCA(t *testing.T, now time.Time, life time.Duration) ([]byte, []byte) {
	t.Helper()
	c, k, err := newCA(now, life)
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func mustServing(t *testing.T, ca, key []byte, hosts []string, now time.Time) ([]byte, []byte) {
	t.Helper()
	c, k, err := issueServing(ca, key, hosts, now)
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func TestDecideCerts(t *testing.T) {
	now := time.Now()
	pol := certPolicy{Settle: 10 * time.Second, Grace: time.Hour}
	ca, caKey := mustCA(t, now, caLifetime)
	other, otherKey := mustCA(t, now, caLifetime)
	tlsCert, tlsKey := mustServing(t, ca, caKey, testHosts, now)
	foreignCert, foreignKey := mustServing(t, other, otherKey, testHosts, now)
	wrongHosts, wrongHostsKey := mustServing(t, ca, caKey, []string{"elsewhere.example"}, now)
	oldCA, oldKey := mustCA(t, now.Add(-caLifetime+servingLifetime/2), caLifetime)
	oldServing, oldServingKey := mustServing(t, oldCA, oldKey, testHosts, now)
	good := certState{CACert: ca, CAKey: caKey, TLSCert: tlsCert, TLSKey: tlsKey}
	with := func(f func(*certState)) certState { s := good; f(&s); return s }
	both := append(append([]byte(nil), oldCA...), other...)

	cases := []struct {
		name      string
		s         certState
		published [][]byte
		now       time.Time
		want      certStep
	}{
		{"nothing yet", certState{}, nil, now, stepIssueAll},
		{"all good", good, [][]byte{ca}, now, stepNone},
		{"good, configuration missing the CA: republish only", good, [][]byte{other}, now, stepNone},
		{"serving cert from another CA", with(func(s *certState) { s.TLSCert, s.TLSKey = foreignCert, foreignKey }), [][]byte{ca}, now, stepReissue},
		{"key does not match cert", with(func(s *certState) { s.TLSKey = foreignKey }), [][]byte{ca}, now, stepReissue},
		{"wrong SANs", with(func(s *certState) { s.TLSCert, s.TLSKey = wrongHosts, wrongHostsKey }), [][]byte{ca}, now, stepReissue},
		{"serving past two thirds", good, [][]byte{ca}, now.Add(servingLifetime * 3 / 4), stepReissue},
		{"serving expired", good, [][]byte{ca}, now.Add(servingLifetime + time.Hour), stepReissue},
		{"CA key mismatch, served cert works: two-phase", with(func(s *certState) { s.CAKey = otherKey }), [][]byte{ca}, now, stepAddNextCA},
		{"CA expiring, served cert works: two-phase", certState{CACert: oldCA, CAKey: oldKey, TLSCert: oldServing, TLSKey: oldServingKey}, [][]byte{oldCA}, now, stepAddNextCA},
		{"CA corrupt, nothing trusted: issue at once", with(func(s *certState) { s.CACert = []byte("junk") }), [][]byte{other}, now, stepIssueAll},
		{"next CA not yet published", with(func(s *certState) { s.NextCACert, s.NextCAKey = other, otherKey }), [][]byte{ca}, now, stepWait},
		{"next CA in one webhook only", with(func(s *certState) { s.NextCACert, s.NextCAKey = other, otherKey }), [][]byte{both, ca}, now, stepWait},
		{"next CA published: record it", with(func(s *certState) { s.NextCACert, s.NextCAKey = other, otherKey }), [][]byte{both}, now, stepMarkPublished},
		{"next CA published, settling", with(func(s *certState) {
			s.NextCACert, s.NextCAKey, s.NextPublishedAt = other, otherKey, now.Add(-5*time.Second)
		}), [][]byte{both}, now, stepWait},
		{"next CA published and settled: switch", with(func(s *certState) {
			s.NextCACert, s.NextCAKey, s.NextPublishedAt = other, otherKey, now.Add(-11*time.Second)
		}), [][]byte{both}, now, stepPromoteNextCA},
		{"next CA lost from configuration", with(func(s *certState) {
			s.NextCACert, s.NextCAKey, s.NextPublishedAt = other, otherKey, now.Add(-11*time.Second)
		}), [][]byte{ca}, now, stepMarkUnpublished},
		{"bad next CA", with(func(s *certState) { s.NextCACert, s.NextCAKey = other, caKey }), [][]byte{ca}, now, stepReplaceBadNext},
		{"old CA within grace", with(func(s *certState) { s.OldCACert, s.OldRetiredAt = oldCA, now.Add(-time.Minute) }), [][]byte{ca}, now, stepNone},
		{"old CA past grace", with(func(s *certState) { s.OldCACert, s.OldRetiredAt = oldCA, now.Add(-2*time.Hour) }), [][]byte{ca}, now, stepDropOldCA},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, why := decideCerts(tc.s, tc.published, testHosts, tc.now, pol)
			if got != tc.want {
				t.Errorf("step %q (%s), want %q", got, why, tc.want)
			}
		})
	}
}

// TestCertStepsKeepTheChain applies every step from a state it is decided
// for and checks what the step promises.
func TestCertStepsKeepTheChain(t *testing.T) {
	now := time.Now()
	ca, caKey := mustCA(t, now, caLifetime)
	next, nextKey := mustCA(t, now, caLifetime)
	tlsCert, tlsKey := mustServing(t, ca, caKey, testHosts, now)
	s := certState{CACert: ca, CAKey: caKey, NextCACert: next, NextCAKey: nextKey, NextPublishedAt: now.Add(-time.Hour), TLSCert: tlsCert, TLSKey: tlsKey}
	p, err := applyCertStep(stepPromoteNextCA, s, testHosts, now)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.CACert, next) || !bytes.Equal(p.OldCACert, ca) || p.NextCACert != nil {
		t.Error("promotion did not make the next CA current and the current one old")
	}
	if err := checkServing(p, testHosts, now); err != nil {
		t.Errorf("promoted serving certificate: %v", err)
	}
	b := p.caBundle()
	if !allContain([][]byte{b}, ca) || !allContain([][]byte{b}, next) {
		t.Error("after the switch the caBundle must hold both CAs")
	}
	d, err := applyCertStep(stepDropOldCA, p, testHosts, now)
	if err != nil {
		t.Fatal(err)
	}
	if allContain([][]byte{d.caBundle()}, ca) {
		t.Error("the dropped CA is still in the caBundle")
	}
}
