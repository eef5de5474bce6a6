package redact

import "strings"

// commonWords are words that values hold all the time (switches, levels,
// policies, protocols, Kubernetes' own names) and that messages use as
// words: a short value (under MinAnywhere bytes) equal to one of them, in
// any case, is no secret and is not redacted, so that a values file with
// `pullPolicy: Always` or `namespace: default` keeps messages readable. A
// longer value is always redacted.
var commonWords = wordSet(`true false yes no on off null none nil
default latest stable info debug warn warning error fatal trace
always never ifnotpresent clusterip nodeport http https grpc tcp udp
enabled disabled enable disable install upgrade delete create update
apps core batch v1 v2 v1alpha1 v1beta1 v1beta2 stdout stderr json text yaml
admin root local ingress service secret pod pods node nodes deploy
running ready pending failed`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// common tells whether v is a short value that is one of commonWords.
func common(v string) bool {
	return len(v) < MinAnywhere && commonWords[strings.ToLower(v)]
}
