package content

import (
	"reflect"
	"testing"
)

func TestBlocksAreThePlainTextOfTheMarkdown(t *testing.T) {
	t.Parallel()
	src := "# Title\n\nSome *emphasis* and a [link](https://example.org/x) \"quoted\".\n\n" +
		"- one\n- two\n  1. nested\n\n```\ncode line\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>x</script>\n\n![a chart](x.png)\n"
	got := NewMarkdown().Blocks([]byte(src))
	want := []Block{
		{Kind: Heading, Level: 1, Text: "Title"},
		{Kind: Paragraph, Text: "Some emphasis and a link (https://example.org/x) \u201cquoted\u201d."},
		{Kind: Item, Level: 1, Marker: "•", Text: "one"},
		{Kind: Item, Level: 1, Marker: "•", Text: "two"},
		{Kind: Item, Level: 2, Marker: "1.", Text: "nested"},
		{Kind: Code, Text: "code line"},
		{Kind: Paragraph, Text: "a | b"},
		{Kind: Paragraph, Text: "1 | 2"},
		{Kind: Paragraph, Text: "[a chart]"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
