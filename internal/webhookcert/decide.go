package webhookcert

import (
	"bytes"
	"fmt"
	"time"
)

// Certificate lifetimes. A serving certificate is renewed once less than a
// third of its life is left; a CA is replaced once it could no longer sign a
// full serving lifetime.
const (
	caLifetime      = 10 * 365 * 24 * time.Hour
	servingLifetime = 365 * 24 * time.Hour
)

// certState is what the hub keeps in its certificate Secret.
type certState struct {
	// CACert and CAKey sign the serving certificate.
	CACert, CAKey []byte
	// NextCACert and NextCAKey are a CA being introduced: published in the
	// caBundle beside CACert before it signs anything.
	NextCACert, NextCAKey []byte
	// OldCACert is a retired CA still trusted until replicas that have not
	// yet reloaded serve the new certificate.
	OldCACert []byte
	// TLSCert and TLSKey are the serving certificate and its key.
	TLSCert, TLSKey []byte
	// NextPublishedAt is when every webhook's caBundle was first seen
	// holding NextCACert.
	NextPublishedAt time.Time
	// OldRetiredAt is when OldCACert stopped signing.
	OldRetiredAt time.Time
}

// certPolicy times a CA rotation.
type certPolicy struct {
	// Settle is how long the next CA must have been seen in the webhook
	// configuration before the serving certificate switches to it, so that
	// every API server has loaded it.
	Settle time.Duration
	// Grace is how long the old CA stays trusted after the switch; it must
	// exceed the period at which other replicas reload the Secret.
	Grace time.Duration
}

// certStep is one step of the keeper's state machine.
type certStep string

// The keeper's steps. Only stepNone and stepWait change nothing.
const (
	stepNone            certStep = "none"
	stepWait            certStep = "wait for the webhook configuration to hold the next CA"
	stepIssueAll        certStep = "issue a CA and a serving certificate"
	stepAddNextCA       certStep = "add a next CA to the caBundle"
	stepMarkPublished   certStep = "record that the next CA is published"
	stepPromoteNextCA   certStep = "switch the serving certificate to the next CA"
	stepReissue         certStep = "reissue the serving certificate"
	stepDropOldCA       certStep = "drop the retired CA from the caBundle"
	stepReplaceBadNext  certStep = "replace an unusable next CA"
	stepMarkUnpublished certStep = "forget that a next CA was published"
)

// decideCerts is the keeper's decision: given the Secret's state, the
// caBundle of each of the hub's webhooks as the webhook configuration holds
// it (none when it does not exist), the hosts the serving certificate must
// name and the time, it returns the next step and why.
//
// The invariants it keeps: the serving certificate chains to CACert, is
// valid now and names every host; a new CA signs nothing until every
// webhook's caBundle has held it for Settle; a CA that signed the served
// certificate stays in the caBundle for Grace after the switch.
func decideCerts(s certState, published [][]byte, hosts []string, now time.Time, p certPolicy) (certStep, string) {
	caErr := checkCA(s.CACert, s.CAKey, now)
	if len(s.NextCACert) > 0 {
		if err := checkCA(s.NextCACert, s.NextCAKey, now); err != nil {
			return stepReplaceBadNext, fmt.Sprintf("next CA: %v", err)
		}
		if !allContain(published, s.NextCACert) {
			if !s.NextPublishedAt.IsZero() {
				return stepMarkUnpublished, "the webhook configuration lost the next CA"
			}
			return stepWait, "the webhook configuration does not hold the next CA yet"
		}
		if s.NextPublishedAt.IsZero() {
			return stepMarkPublished, "the webhook configuration holds the next CA"
		}
		if now.Sub(s.NextPublishedAt) < p.Settle {
			return stepWait, fmt.Sprintf("the next CA was published %s ago; switching after %s", now.Sub(s.NextPublishedAt).Round(time.Millisecond), p.Settle)
		}
		return stepPromoteNextCA, "the next CA has been published long enough"
	}
	if caErr != nil {
		if servingTrusted(s.TLSCert, published, now) {
			return stepAddNextCA, fmt.Sprintf("CA: %v; the served certificate still works, so the new CA is published first", caErr)
		}
		return stepIssueAll, fmt.Sprintf("CA: %v; nothing trusted is in service", caErr)
	}
	if err := checkServing(s, hosts, now); err != nil {
		return stepReissue, fmt.Sprintf("serving certificate: %v", err)
	}
	if len(s.OldCACert) > 0 {
		old, err := parseCert(s.OldCACert)
		if err != nil || now.Sub(s.OldRetiredAt) >= p.Grace || now.After(old.NotAfter) {
			return stepDropOldCA, "the retired CA's grace period is over"
		}
	}
	return stepNone, ""
}

// applyCertStep returns the state after step; issuing uses now.
func applyCertStep(step certStep, s certState, hosts []string, now time.Time) (certState, error) {
	var err error
	switch step {
	case stepIssueAll:
		if s.CACert, s.CAKey, err = newCA(now, caLifetime); err != nil {
			return s, err
		}
		s.NextCACert, s.NextCAKey, s.OldCACert = nil, nil, nil
		s.NextPublishedAt, s.OldRetiredAt = time.Time{}, time.Time{}
		s.TLSCert, s.TLSKey, err = issueServing(s.CACert, s.CAKey, hosts, now)
	case stepAddNextCA, stepReplaceBadNext:
		s.NextCACert, s.NextCAKey, err = newCA(now, caLifetime)
		s.NextPublishedAt = time.Time{}
	case stepMarkPublished:
		s.NextPublishedAt = now
	case stepMarkUnpublished:
		s.NextPublishedAt = time.Time{}
	case stepPromoteNextCA:
		cert, key, ierr := issueServing(s.NextCACert, s.NextCAKey, hosts, now)
		if ierr != nil {
			return s, ierr
		}
		s.OldCACert, s.OldRetiredAt = nil, now
		if _, perr := parseCert(s.CACert); perr == nil {
			s.OldCACert = s.CACert
		}
		s.CACert, s.CAKey, s.NextCACert, s.NextCAKey, s.NextPublishedAt = s.NextCACert, s.NextCAKey, nil, nil, time.Time{}
		s.TLSCert, s.TLSKey = cert, key
	case stepReissue:
		s.TLSCert, s.TLSKey, err = issueServing(s.CACert, s.CAKey, hosts, now)
	case stepDropOldCA:
		s.OldCACert, s.OldRetiredAt = nil, time.Time{}
	}
	return s, err
}

// caBundle is what clients must trust for s: the current, next and retired
// CAs.
func (s certState) caBundle() []byte {
	var out []byte
	for _, c := range [][]byte{s.CACert, s.NextCACert, s.OldCACert} {
		c = bytes.TrimSpace(c)
		if len(c) == 0 || bytes.Contains(out, c) {
			continue
		}
		out = append(append(out, c...), '\n')
	}
	return out
}
