package i18n

import (
	"testing"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

func TestLocalizerChoosesLanguage(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		prefs []string
		lang  string
		dir   string
		title string
	}{
		{"no preference is German", nil, "de", "ltr", "Ihr Videotermin"},
		{"empty strings are skipped", []string{"", ""}, "de", "ltr", "Ihr Videotermin"},
		{"browser header with region", []string{"tr-TR,tr;q=0.9,en-US;q=0.8"}, "tr", "ltr", "Görüntülü görüşme randevunuz"},
		{"Arabic is right to left", []string{"ar-EG,ar;q=0.9"}, "ar", "rtl", "موعدكم عبر الفيديو"},
		{"unsupported first, supported later in the header", []string{"fr-FR,fr;q=0.9,en;q=0.5"}, "en", "ltr", "Your video appointment"},
		{"q-values order the header", []string{"en;q=0.2,uk;q=0.9"}, "uk", "ltr", "Ваша відеоконсультація"},
		{"?lang= beats the header", []string{"ru", "de-DE,de;q=0.9"}, "ru", "ltr", "Ваша видеоконсультация"},
		{"invalid ?lang= falls through to the header", []string{"xx-!!", "ar"}, "ar", "rtl", "موعدكم عبر الفيديو"},
		{"unsupported everywhere is German", []string{"zh-CN,zh;q=0.9", "pl"}, "de", "ltr", "Ihr Videotermin"},
		{"regional German", []string{"de-AT"}, "de", "ltr", "Ihr Videotermin"},
		{"wildcard is German", []string{"*"}, "de", "ltr", "Ihr Videotermin"},
		{"oversized header is ignored", []string{string(make([]byte, maxPreference+1)), "en"}, "en", "ltr", "Your video appointment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := c.Localizer(tt.prefs...)
			if l.Lang() != tt.lang || l.Dir() != tt.dir {
				t.Fatalf("Localizer(%q): lang %q dir %q, want %q %q", tt.prefs, l.Lang(), l.Dir(), tt.lang, tt.dir)
			}
			if got := l.T("invite_title", nil); got != tt.title {
				t.Errorf("invite_title = %q, want %q", got, tt.title)
			}
		})
	}
}

func TestLocalizerNames(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"de": "Deutsch", "en": "English", "tr": "Türkçe", "ar": "العربية", "uk": "Українська", "ru": "Русский"}
	for tag, name := range want {
		if got := c.Localizer(tag).Name(); got != name {
			t.Errorf("%s: Name() = %q, want %q", tag, got, name)
		}
	}
}

func TestTemplateDataAndPlurals(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang, id string
		data     map[string]any
		want     string
	}{
		{"de", "mail_greeting", map[string]any{"Name": "Frau Yılmaz"}, "Guten Tag Frau Yılmaz,"},
		{"de", "invite_intro", map[string]any{"Tenant": "Agentur für Arbeit"}, "Sie haben einen Videotermin bei Agentur für Arbeit. Sie brauchen nichts zu installieren: Ihr Browser genügt."},
		{"de", "wait_elapsed", map[string]any{"Count": 1}, "Sie warten seit 1 Minute."},
		{"de", "wait_elapsed", map[string]any{"Count": 7}, "Sie warten seit 7 Minuten."},
		{"en", "book_seats_left", map[string]any{"Count": 1}, "1 place left"},
		{"en", "book_seats_left", map[string]any{"Count": 12}, "12 places left"},
		{"ru", "wait_elapsed", map[string]any{"Count": 1}, "Вы ждёте 1 минуту."},
		{"ru", "wait_elapsed", map[string]any{"Count": 3}, "Вы ждёте 3 минуты."},
		{"ru", "wait_elapsed", map[string]any{"Count": 11}, "Вы ждёте 11 минут."},
		{"ru", "wait_elapsed", map[string]any{"Count": 21}, "Вы ждёте 21 минуту."},
		{"uk", "book_seats_left", map[string]any{"Count": 2}, "Залишилося 2 місця"},
		{"uk", "book_seats_left", map[string]any{"Count": 5}, "Залишилося 5 місць"},
		{"ar", "wait_elapsed", map[string]any{"Count": 0}, "تنتظرون منذ أقل من دقيقة."},
		{"ar", "wait_elapsed", map[string]any{"Count": 1}, "تنتظرون منذ دقيقة واحدة."},
		{"ar", "wait_elapsed", map[string]any{"Count": 2}, "تنتظرون منذ دقيقتين."},
		{"ar", "wait_elapsed", map[string]any{"Count": 4}, "تنتظرون منذ 4 دقائق."},
		{"ar", "wait_elapsed", map[string]any{"Count": 15}, "تنتظرون منذ 15 دقيقة."},
		{"ar", "wait_elapsed", map[string]any{"Count": 100}, "تنتظرون منذ 100 دقيقة."},
		{"tr", "call_chat_new", map[string]any{"Count": 3}, "3 yeni mesaj"},
		{"en", "book_seats_left", map[string]any{"Count": "several"}, "several places left"},
		{"tr", "step_of", map[string]any{"Step": 2, "Total": 3}, "Adım 2 / 3"},
	}
	for _, tt := range tests {
		if got := c.Localizer(tt.lang).T(tt.id, tt.data); got != tt.want {
			t.Errorf("%s %s %v = %q, want %q", tt.lang, tt.id, tt.data, got, tt.want)
		}
	}
}

// TestFallback adds messages that exist only in German or only in English to a loaded
// catalogue and checks the order: chosen language, German, English, then the id.
func TestFallback(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.bundle.AddMessages(language.German, &goi18n.Message{ID: "only_de", Other: "nur auf Deutsch"}); err != nil {
		t.Fatal(err)
	}
	if err := c.bundle.AddMessages(language.English, &goi18n.Message{ID: "only_en", Other: "English only"}); err != nil {
		t.Fatal(err)
	}
	ar := c.Localizer("ar")
	if got := ar.T("only_de", nil); got != "nur auf Deutsch" {
		t.Errorf("German fallback: %q", got)
	}
	if got := ar.T("only_en", nil); got != "English only" {
		t.Errorf("English fallback: %q", got)
	}
	if got := ar.T("missing_everywhere", nil); got != "missing_everywhere" {
		t.Errorf("missing id: %q, want the id", got)
	}
	if got := c.Localizer("de").T("only_en", nil); got != "English only" {
		t.Errorf("German reader, English-only message: %q", got)
	}
}
