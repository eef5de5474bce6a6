// Package drift finds and repairs what was changed by hand in the objects of
// a Helm release, without Helm: no new revision, no write to an object that
// did not drift.
//
// A Detector compares every object of a release's manifest (Helm hooks and
// generateName objects excluded, as health.Objects) with the live object by a
// server-side-apply dry run of the manifest object under Helm's field
// manager (see HelmFieldManager), forced, with Helm's ownership labels and
// annotations added as Helm adds them. The dry run returns what the object
// would be if Helm applied its manifest again; every field where that
// differs from the live object is drift. A deleted object is Missing.
//
// The ownership rule. A field is drift when it is in the manifest and its
// live value differs, whoever changed it, except when a respected manager
// owns it: a controller (Options.Respect, default RespectedManager: the
// kube-controller-manager, which writes an HPA's replicas, autoscalers, and
// every manager named "*-controller", "*-controller-manager", "*-operator"
// or "*-autoscaler"). Fields a respected manager owns are removed from the
// applied object, in the dry run and in the repair, so Helm neither reports
// nor takes them. Human tools (kubectl, kubectl-edit, kubectl-client-side-
// apply, kubectl-label, any unknown manager) are not respected: a
// `kubectl scale --replicas=0` of a Deployment whose manifest sets replicas
// is drift and is set back. A field that is not in the manifest (a label
// someone added) is never drift.
//
// Fields an operator names are left alone too: Release.Ignore holds the
// component's driftIgnore rules (RFC 6901 pointers into the objects a
// target selects). The applied object, in the dry run and in the repair,
// carries the live value at each ignored pointer (or lacks the field when
// the live object does), so the field is neither reported nor set back,
// whoever owns it (a value an admission policy rewrote on CREATE is
// attributed to Helm's own manager, and an apply without the field would
// delete it). RespectManagers adds exact manager names to the built-in list.
//
// Every changed field of a Drift carries its Owners: the managers that held
// it in the live object's managedFields when it was found differing, which
// RepairedMessage names ("... image by admission-mirror"), so that an
// operator sees which controller a repair fought; values are never named.
//
// Repair applies, forced, under Helm's field manager, only the objects that
// drifted, with the respected managers' fields removed; Missing objects are
// recreated. A Tracker bounds how often one component is repaired, so a
// controller fighting Helm is reported with backoff, not repaired in a hot
// loop; the agent records failed repairs in it too.
package drift
