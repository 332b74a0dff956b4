// Package e2e holds nahbar's end-to-end tests: the real server (rooms and
// web) driven by real headless Chromium browsers with fake cameras and
// microphones, inside a network namespace the test creates for itself.
//
// It has no code of its own; see the _test.go files and docs/testing notes
// in shared/BROWSER-TESTING.md.
package e2e
