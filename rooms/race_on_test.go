//go:build race

package rooms_test

// raceDetector reports a -race build: pion's DTLS and SRTP run ~20x slower
// there, so load tests use fewer peers to stay within the package's time budget.
const raceDetector = true
