package server

import (
	"html/template"
	"reflect"
	"testing"
)

func TestCrisisTextLinksItsPhoneNumbersAndNothingElse(t *testing.T) {
	tel := func(text, url string) CrisisPart { return CrisisPart{Text: text, Tel: template.URL(url)} }
	txt := func(text string) CrisisPart { return CrisisPart{Text: text} }
	cases := []struct {
		in   string
		want []CrisisPart
	}{
		{"Call 999 now.", []CrisisPart{txt("Call "), tel("999", "tel:999"), txt(" now.")}},
		{"Samaritans: 116 123, free.", []CrisisPart{txt("Samaritans: "), tel("116 123", "tel:116123"), txt(", free.")}},
		{"+44 20 7946 0000 or 1-800-273-8255", []CrisisPart{tel("+44 20 7946 0000", "tel:+442079460000"), txt(" or "), tel("1-800-273-8255", "tel:18002738255")}},
		{"Open 24 hours, 24/7, 7 days.", []CrisisPart{txt("Open 24 hours, 24/7, 7 days.")}},
		{"Code A1234 or 1234abc.", []CrisisPart{txt("Code A1234 or 1234abc.")}},
		{"1234567890123456 is too long", []CrisisPart{txt("1234567890123456 is too long")}},
		// Markup is text: it is escaped when shown, and only the digits
		// make a link.
		{`<a href="javascript:alert(1)">999</a>`, []CrisisPart{txt(`<a href="javascript:alert(1)">`), tel("999", "tel:999"), txt("</a>")}},
		{"Κάλεσε 999—ή Ω112.", []CrisisPart{txt("Κάλεσε "), tel("999", "tel:999"), txt("—ή Ω112.")}},
		{"Ring 111.", []CrisisPart{txt("Ring "), tel("111", "tel:111"), txt(".")}},
		{"", nil},
	}
	for _, c := range cases {
		if got := crisisParts(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("crisisParts(%q)\n got %#v\nwant %#v", c.in, got, c.want)
		}
	}
}
