// Package redact removes the strings of a component's values from text that
// leaves its reconcile: Helm, rendering, drift and health errors on their way
// into a status message, an Event, a log line or a CLI's output.
//
// A Redactor is built once from the values (every string leaf, in the forms
// it can take in an error: as written, JSON- and Go-quoted, YAML
// single-quoted, and each line of a multi-line value) and then applied to
// any number of messages. Base64 is found by decoding: every run of base64
// characters (standard or URL alphabet) is decoded from each of its first
// four characters, so that a value encoded alone or at any byte offset of a
// longer encoded text is seen, and the whole run is redacted; the Redactor
// holds no encodings, which keeps it near the size of the values. Values of at
// least MinAnywhere bytes are redacted wherever they appear, also inside a
// longer word; values of MinToken to MinAnywhere-1 bytes (passwords such as
// "hunter2") only as whole words, so that a short value that is also a
// common word ("apps", "http") does not erase it from inside other words;
// values shorter than MinToken are never redacted: one to three bytes carry
// no secret and are the message's own words ("on", "v1", "tcp", "80"); nor
// are short values that are common words of values and messages alike
// ("true", "default", "Always": commonWords).
package redact
