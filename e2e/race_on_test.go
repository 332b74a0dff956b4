//go:build race

package e2e

// raceDetector reports a -race build, whose timing is not the product's.
const raceDetector = true

// minFPSRace is the frame rate a -race build must still reach: measured
// 12–14 fps there (14.6–14.8 without -race) on 2 shared cores.
const minFPSRace = 10.0
