// Package notify composes and sends the e-mails of an appointment: invitation, reminder,
// cancellation and reschedule, each as plain text and accessible HTML in the recipient's
// language with an iCalendar (RFC 5545) invitation attached, sent over SMTP.
//
// The package knows nothing of storage: web (or cmd) fills a Notice from its models and
// hands it to a Notifier. The Reminder loop asks a ReminderSource, declared here and
// implemented over storage by the integrator, which reminders are due and sends each once.
// Everything a citizen typed (name, e-mail) is treated as hostile: control characters are
// removed before they can reach a header, addresses must parse, links must be http(s).
package notify
