package storage

import "errors"

// Sentinels the web layer maps to pages and status codes. They are wrapped with
// context; test with errors.Is.
var (
	// ErrSlotTaken means the slot was free a moment ago but someone else booked the
	// last advisor or the last media capacity ("slot just taken").
	ErrSlotTaken = errors.New("slot just taken")
	// ErrSlotNotOffered means no advisor with the topic and language works at that time.
	ErrSlotNotOffered = errors.New("slot not offered")
	// ErrSessionFull means a group session has no seat left.
	ErrSessionFull = errors.New("group session full")
	// ErrNotFound means the record does not exist (or is not visible to the caller).
	ErrNotFound = errors.New("not found")
	// ErrInvalidToken means the token is malformed, unknown or belongs to a purged record.
	ErrInvalidToken = errors.New("invalid token")
	// ErrTokenExpired means the token is known but its validity window has ended.
	ErrTokenExpired = errors.New("token expired")
	// ErrTokenNotYetValid means the token is known but its validity window has not begun.
	ErrTokenNotYetValid = errors.New("token not yet valid")
	// ErrCancelled means the appointment was cancelled.
	ErrCancelled = errors.New("appointment cancelled")
	// ErrTooLate means the appointment has already started or ended and can no longer be changed.
	ErrTooLate = errors.New("appointment can no longer be changed")
	// ErrSurveyDone means this invitation has already answered the survey.
	ErrSurveyDone = errors.New("survey already answered")
	// ErrBadCredentials means the e-mail is unknown or the password wrong (deliberately not which).
	ErrBadCredentials = errors.New("bad credentials")
	// ErrInvalid means the input failed validation; the wrapping message says which field.
	ErrInvalid = errors.New("invalid input")
)
