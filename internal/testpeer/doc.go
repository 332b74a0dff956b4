// Package testpeer is a WebRTC client for tests and the load generator: it
// speaks nahbar's signalling protocol (docs/signalling.md) over a real
// WebSocket, publishes a synthetic camera (a solid colour, VP8 from libvpx via
// pion/mediadevices) and microphone (a sine tone, Opus), and decodes what the
// server sends back so a test can look at the picture and listen to the mix.
//
// It deliberately does not import package rooms: like a browser, it knows the
// protocol only from its documentation, so a change to the wire format that
// the document does not describe breaks these tests.
package testpeer
