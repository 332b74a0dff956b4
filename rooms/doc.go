// Package rooms adapts WebRTC (pion) to the mixer: it runs the signalling
// WebSocket, owns one PeerConnection per participant, feeds decoded camera
// pictures and microphone PCM into a room's mixer, and fans the mixer's shared
// encoded outputs back out to every receiver of a (view, tier).
//
// The signalling protocol is documented in docs/signalling.md.
package rooms
