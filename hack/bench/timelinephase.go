package main

import (
	"time"
)

// logLine is one line the Helm wrapper or the Helm SDK logged during an
// action: when, the logger's name ("helm-sdk" for the SDK), the message
// and its key/values (values as printed).
type logLine struct {
	At   time.Time
	Name string
	Msg  string
	KV   map[string]string
}

// tlPhase is one part of an install's or upgrade's time.
type tlPhase int

// The phases, in the order the tables print them. Each hook phase comes
// twice: the pre-hooks (before the main apply) and the post-hooks.
const (
	phPrepare      tlPhase = iota // from the call to the first step: release history read
	phCRDApply                    // the chart's CRDs, one request each
	phCRDWait                     // until every CRD is established, then the REST mapper reset
	phRender                      // discovery, render, objects built, ownership check (GET per object); upgrade: the diff to the current release
	phFirstWrite                  // "creating release": the new revision's record
	phPreDelete                   // pre-hooks: deletes by the before-hook-creation policy (and the wait until gone)
	phPreProgress                 // pre-hooks: "updating release" before each hook (hook progress)
	phPreCreate                   // pre-hooks: create of each hook object
	phPreWaitJob                  // pre-hooks: wait until the hook Job completed
	phPreWaitOther                // pre-hooks: wait for the other hook objects (ready at once)
	phPreSucceeded                // pre-hooks: deletes by the hook-succeeded policy
	phManagers                    // upgrade: the wrapper reads each live object's field managers (respectingKube)
	phApply                       // the release's objects applied
	phWait                        // Helm's wait for the objects (only with Wait)
	phPostDelete                  // post-hooks, as the pre-hooks
	phPostProgress
	phPostCreate
	phPostWaitJob
	phPostWaitOther
	phPostSucceeded
	phFinalWrite // "updating release" that changes the release: status deployed (an upgrade: the previous one superseded too)
	phAfter      // from Helm's last line until the wrapper returned
	numPhases
)

// phaseNames name the phases in the tables.
var phaseNames = [numPhases]string{
	phPrepare:       "start: release history read",
	phCRDApply:      "CRDs applied (one request each)",
	phCRDWait:       "CRDs established (Helm's wait), REST mapper reset",
	phRender:        "discovery, render, objects built, ownership check",
	phFirstWrite:    "release record: first write (`creating release`)",
	phPreDelete:     "pre-hooks: deletes by before-hook-creation",
	phPreProgress:   "pre-hooks: hook-progress record updates",
	phPreCreate:     "pre-hooks: creates",
	phPreWaitJob:    "pre-hooks: wait for the Job's completion",
	phPreWaitOther:  "pre-hooks: wait for the other hook objects",
	phPreSucceeded:  "pre-hooks: deletes by hook-succeeded",
	phManagers:      "wrapper: field managers of the live objects read (one metadata GET each)",
	phApply:         "the release's objects applied",
	phWait:          "Helm's wait for the objects",
	phPostDelete:    "post-hooks: deletes by before-hook-creation",
	phPostProgress:  "post-hooks: hook-progress record updates",
	phPostCreate:    "post-hooks: creates",
	phPostWaitJob:   "post-hooks: wait for the Job's completion",
	phPostWaitOther: "post-hooks: wait for the other hook objects",
	phPostSucceeded: "post-hooks: deletes by hook-succeeded",
	phFinalWrite:    "release record: final write(s)",
	phAfter:         "wrapper, after Helm returned",
}

// postOffset turns a pre-hook phase into its post-hook one.
const postOffset = phPostDelete - phPreDelete

// timeline is where one action's time went.
type timeline struct {
	Total time.Duration
	Spent [numPhases]time.Duration
	// Steps counts each phase's requests of Helm that the log shows: a
	// create (of one CRD, one hook, or the release's objects at once), a
	// delete, a wait, a record write asked for.
	Steps [numPhases]int
	// RecordLines counts Helm's "creating release" and "updating release"
	// lines: the record writes Helm asked its storage for.
	RecordLines int
}

// Messages of the Helm SDK and the wrapper the classification reads.
const (
	msgCreating      = "creating resource(s)"
	msgWaiting       = "waiting for resources"
	msgDelete        = "starting delete resource"
	msgClearMapper   = "clearing REST mapper cache"
	msgCreateRelease = "creating release"
	msgUpdateRelease = "updating release"
	// msgManagers is the wrapper's line before it reads the field managers
	// of an update's objects (internal/helm respect.go).
	msgManagers = "reading the field managers of the live objects"
)

// stepMsgs start a phase of their own; every other line continues the
// current one (a resource created, a status seen, a delete confirmed).
var stepMsgs = map[string]bool{
	msgCreating: true, msgWaiting: true, msgDelete: true, msgClearMapper: true, msgCreateRelease: true, msgUpdateRelease: true,
	"installing release": true, "upgrading release": true, "installed release": true, "upgraded release": true,
	"resetting values to the chart's original version": true, "determined release apply method": true, "performing update": true,
	"using server-side apply for resource update": true, "checking resources for changes": true, msgManagers: true,
}

// classify splits the time of one action, from start to end, into phases
// from the lines logged in between (in order): the time from one step's
// line to the next step's line is the first step's. Helm runs each hook
// as delete by policy, "updating release", create, wait; after the last
// hook of a stage, the hook-succeeded deletes; so a delete followed by
// "updating release" and a create is a before-hook-creation delete, any
// other one a hook-succeeded delete.
func classify(start, end time.Time, lines []logLine) timeline {
	tl := timeline{Total: end.Sub(start)}
	steps := make([]logLine, 0, len(lines))
	for _, l := range lines {
		if stepMsgs[l.Msg] && !l.At.Before(start) && !l.At.After(end) {
			steps = append(steps, l)
		}
	}
	cur, at := phPrepare, start
	var (
		mapperReset, recordStarted, applied, afterProgress bool
		hookKind                                           string
	)
	stage := func(p tlPhase) tlPhase {
		if applied {
			return p + postOffset
		}
		return p
	}
	for i, l := range steps {
		next := cur
		switch l.Msg {
		case "installing release", "upgrading release":
			next = phPrepare
		case "resetting values to the chart's original version", "determined release apply method", "performing update":
			next = phRender
		case msgClearMapper:
			mapperReset, next = true, phRender
		case msgCreating:
			switch {
			case !recordStarted && !mapperReset:
				next = phCRDApply
			case !recordStarted:
				next = phRender // the release namespace
			case afterProgress:
				next = stage(phPreCreate)
			default:
				applied, next = true, phApply
			}
		case msgManagers:
			next = phManagers
		case "using server-side apply for resource update", "checking resources for changes":
			applied, next = true, phApply
		case msgWaiting:
			switch {
			case !recordStarted:
				next = phCRDWait
			case cur == stage(phPreCreate) && hookKind == "Job":
				next = stage(phPreWaitJob)
			case cur == stage(phPreCreate):
				next = stage(phPreWaitOther)
			default:
				next = phWait
			}
		case msgDelete:
			if beforeCreation(steps[i+1:]) {
				hookKind, next = l.KV["kind"], stage(phPreDelete)
			} else {
				next = stage(phPreSucceeded)
			}
		case msgCreateRelease:
			tl.RecordLines++
			recordStarted, next = true, phFirstWrite
		case msgUpdateRelease:
			tl.RecordLines++
			if len(steps) > i+1 && steps[i+1].Msg == msgCreating {
				next = stage(phPreProgress)
			} else {
				next = phFinalWrite
			}
		case "installed release", "upgraded release":
			next = phAfter
		}
		afterProgress = next == phPreProgress || next == phPostProgress
		tl.Spent[cur] += l.At.Sub(at)
		if isCounted(l.Msg) {
			tl.Steps[next]++
		}
		cur, at = next, l.At
	}
	tl.Spent[cur] += end.Sub(at)
	return tl
}

// isCounted says whether a line is one of the requests Steps counts.
func isCounted(msg string) bool {
	return msg == msgCreating || msg == msgDelete || msg == msgCreateRelease || msg == msgUpdateRelease || msg == msgWaiting
}

// beforeCreation says whether the delete whose following steps are rest
// is one by the before-hook-creation policy: Helm records the release
// ("updating release") and creates the hook right after it.
func beforeCreation(rest []logLine) bool {
	return len(rest) >= 2 && rest[0].Msg == msgUpdateRelease && rest[1].Msg == msgCreating
}
