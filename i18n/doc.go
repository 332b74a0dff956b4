// Package i18n holds the translations of the citizen pages and e-mails (German, English,
// Turkish, Arabic, Ukrainian, Russian) and picks the language a visitor gets.
//
// Messages live in embedded go-i18n TOML files, one per language (locales/*.toml); German
// is the reference and the fallback, then English. A Localizer never returns an empty
// string: a message missing everywhere comes back as its id, and the tests make sure no id
// is missing from any language. Dates are formatted from the messages too (month and
// weekday names, word order), because Go's time package knows only English.
package i18n
